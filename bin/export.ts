#!/usr/bin/env node
// Entry point of the static export: `npm run export -- --out DIR --public-url URL [...]` (also `llsc-export`).
// A progress bar on a terminal, one summary line (or `--json`); docs/static-export.md has the decisions.
import { parseExportArgs, usage, UsageError, type ExportOptions } from '../export/args.js'
import { ExportLockedError } from '../export/journal.js'
import { ManifestError } from '../export/manifest.js'
import { RenderError } from '../export/render.js'
import { formatSummary, progressBar, summaryJson } from '../export/report.js'
import { ExportDatabaseError, ExportDirError, runExport } from '../export/run.js'

const helpPointer = 'see npm run export -- --help'

function readOptions (): ExportOptions | number {
  try {
    return parseExportArgs(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`export: ${err.message} (${helpPointer})\n`)
    return 2
  }
}

async function main (): Promise<number> {
  const options = readOptions()
  if (typeof options === 'number') return options
  if (options.help) {
    process.stdout.write(`${usage}\n`)
    return 0
  }
  const progress = !options.json && process.stderr.isTTY ? await progressBar(process.stderr) : undefined
  try {
    const summary = await runExport(options, progress)
    process.stdout.write(options.json ? summaryJson(summary) : formatSummary(summary))
    return 0
  } catch (err) {
    // Our own errors and the system's (a full disk, a directory it may not write) are one line; a bug shows its stack.
    const known = err instanceof ExportDirError || err instanceof ExportDatabaseError || err instanceof ManifestError || err instanceof ExportLockedError || err instanceof RenderError ||
      typeof (err as NodeJS.ErrnoException).code === 'string'
    process.stderr.write(`export: ${known ? (err as Error).message : String((err as Error).stack ?? err)}\n`)
    if (err instanceof ExportLockedError) return 75
    return err instanceof ExportDirError ? 2 : 1
  }
}

process.exitCode = await main()
