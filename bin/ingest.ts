#!/usr/bin/env node
// Entry point of the ingest worker: `npm run ingest -- ...`. A progress bar on a terminal, JSON lines (or
// text log lines) otherwise, `--json` for the summary alone; `--watch` keeps it running as a worker;
// `--export DIR` brings the static export up to date after a run that changed data.
import { dirname, resolve } from 'node:path'
import { parseCliArgs, usage, UsageError, type CliOptions } from '../ingest/args.js'
import { ConfigError } from '../ingest/config.js'
import { redactCredentials } from '../ingest/fetcher.js'
import { LockError } from '../ingest/lock.js'
import { progressOutput } from '../ingest/progress-bar.js'
import { RepoFileError } from '../ingest/repo-file.js'
import type { exportLogger } from '../ingest/run-export.js'
import { jsonLinesOutput, summaryJsonOutput, textOutput, type RunOutput } from '../ingest/run-output.js'
import { runFailed, runIngest, type RunSummary } from '../ingest/run.js'
import { storageProblem } from '../ingest/storage-error.js'

const helpPointer = 'see npm run ingest -- --help'
/** Errors the output has already reported in its own form. */
const reported = new WeakSet<object>()

/** --json: the summary alone; else the format asked for, or a progress bar on a terminal and JSON lines without one. */
async function chooseOutput (options: CliOptions): Promise<RunOutput> {
  const streams = { stdout: process.stdout, stderr: process.stderr }
  if (options.json) return summaryJsonOutput(streams)
  const format = options.logFormat ?? (process.stderr.isTTY ? 'text' : 'json')
  if (format === 'json') return jsonLinesOutput(streams)
  return process.stderr.isTTY ? await progressOutput(streams) : textOutput(streams)
}

/** The export's line goes where the worker logs: JSON lines on stdout, or text on stderr (also beside --json's summary). */
function exportLog (options: CliOptions, logger: typeof exportLogger): ReturnType<typeof exportLogger> {
  const format = options.json ? 'text' : options.logFormat ?? (process.stderr.isTTY ? 'text' : 'json')
  return logger(format, { stdout: process.stdout, stderr: process.stderr })
}

/** --export: after a run that was not interrupted; the outcome is logged and changes neither the data nor the exit status. */
async function keepExport (options: CliOptions, summary: RunSummary, signal: AbortSignal): Promise<void> {
  if (options.export === null || summary.interrupted || signal.aborted) return
  // Loaded only with --export: the export's stores are not needed otherwise (an unchanged run starts sooner).
  const { exportLogger, keepExportCurrent } = await import('../ingest/run-export.js')
  const outcome = await keepExportCurrent(options.export, options.dbPath, summary, signal)
  exportLog(options, exportLogger)(options.export.outDir, outcome)
}

async function runOnce (options: CliOptions, output: RunOutput, signal: AbortSignal): Promise<RunSummary> {
  output.runStart(options.disabled)
  const summary = await runIngest({
    dbPath: options.dbPath,
    repos: options.repos,
    signal,
    lockWaitMs: options.wait || options.watch ? 24 * 3_600_000 : 0,
    allowWithdraw: options.allowWithdraw,
    fetch: {
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.downloadDeadlineMs !== undefined && { deadlineMs: options.downloadDeadlineMs }),
      ...(options.retries !== undefined && { retries: options.retries })
    },
    limits: options.maxDecompressedBytes !== undefined ? { maxDecompressedBytes: options.maxDecompressedBytes } : {},
    log: output.log,
    onRepoStart: output.repoStart,
    onProgress: output.progress,
    onRepoDone: output.repoDone
  }).catch((err: unknown) => {
    // The whole run failed (no lock, the database cannot be opened or written): say why, in the output's form.
    const problem = storageProblem(err, dirname(resolve(options.dbPath)))
    if (problem !== null && err instanceof Error) err.message = problem
    output.runFailed(options.repos, (err as Error).message)
    if (err instanceof Error) reported.add(err)
    throw err
  })
  output.runDone(summary)
  return summary
}

/** The options, or the exit status: a mistake is one line on stderr with a pointer to --help (status 2). */
function readOptions (): CliOptions | number {
  try {
    return parseCliArgs(process.argv.slice(2))
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RepoFileError) {
      process.stderr.write(`ingest: ${redactCredentials(err.message)} (${helpPointer})\n`)
      return 2
    }
    throw err
  }
}

async function main (): Promise<number> {
  const options = readOptions()
  if (typeof options === 'number') return options
  if (options.help) { process.stdout.write(`${usage}\n`); return 0 }
  const output = await chooseOutput(options)

  // First signal: abandon a download in progress (that repo fails) or let a repo being written commit,
  // then stop. Second: stop now (SQLite rolls back).
  const controller = new AbortController()
  let received: NodeJS.Signals | null = null
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received !== null) process.exit(sig === 'SIGINT' ? 130 : 143)
    received = sig
    process.stderr.write(`ingest: ${sig} received; finishing the current repo, then stopping (a download in progress is abandoned; send it again to stop at once)\n`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    if (!options.watch) {
      const summary = await runOnce(options, output, controller.signal)
      await keepExport(options, summary, controller.signal)
      if (summary.interrupted || received !== null) return received === 'SIGINT' ? 130 : 143
      return runFailed(summary) ? 1 : 0
    }
    while (!controller.signal.aborted) {
      await keepExport(options, await runOnce(options, output, controller.signal), controller.signal)
      const delay = options.intervalMs * (0.9 + Math.random() * 0.2)
      output.nextCheck(delay)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay)
        controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
    }
    return 0
  } catch (err) {
    if (!(err instanceof Error && reported.has(err))) process.stderr.write(`ingest: ${redactCredentials((err as Error).message)}\n`)
    return err instanceof LockError ? 75 : 1
  }
}

process.exitCode = await main()
