// --export DIR: after a run that changed advisories, the worker brings the static export up to date by
// running `npm run export` (bin/export.ts) as a child process: the worker never imports the export or the
// server, and the export's memory is returned when it exits. Its outcome is one log line.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ExportManifestStore } from '../db/export-manifest.js'
import { openDatabase } from '../db/open.js'
import { SummaryStore } from '../db/summary-store.js'
import type { ExportTarget, LogFormat } from './args.js'
import type { RunSummary } from './run.js'

/**
 * The export's `--json` summary (docs/static-export.md, "The command"), as the worker reads it: written out
 * here because ingest/ may not import export/ (its ExportSummary and TreeCounts are the source).
 */
export interface ExportSummaryJson {
  documents: number
  files: number
  bytes: number
  written: number
  kept: number
  deleted: number
  /** The documents it could not place as files, each with why. */
  skipped: unknown[]
  passes: number
  settled: boolean
  seconds: number
}

export type ExportOutcome =
  | { status: 'ok', reason: string, summary: ExportSummaryJson, durationMs: number }
  | { status: 'unchanged' }
  | { status: 'skipped', reason: string, message: string }
  | { status: 'failed', reason: string, exitCode: number | null, message: string, durationMs: number }
  | { status: 'interrupted', reason: string }

/** The export's exit status when another export is writing the directory. */
const lockedStatus = 75
/** What is kept of the child's output: its summary is one short line, its error one line. */
const outputCap = 64 * 1024

// The export's manifest (db/export-manifest.ts) records the data stamp it was made from; the worker reads it
// through db/, not through export/ (which it may not import).
export const manifestName = '.llsc-export.db'

/** `health`: which repos were failing, as the products page and API show it (SummaryStore.repoHealthKey). */
interface DataStamp { generation: number, changedAt: string, health?: string }

/** The data stamp the export in `outDir` was made from: null without a manifest, 'unknown' when it cannot be read. */
export function exportedStamp (outDir: string): DataStamp | null | 'unknown' {
  let data: Partial<DataStamp> | null
  try {
    const store = ExportManifestStore.open(join(outDir, manifestName), { create: false, readonly: true })
    if (store === null) return null
    try { data = store.data() as Partial<DataStamp> | null } finally { store.close() }
  } catch {
    return 'unknown'
  }
  if (data === null || typeof data.generation !== 'number' || typeof data.changedAt !== 'string') return 'unknown'
  return typeof data.health === 'string' ? { generation: data.generation, changedAt: data.changedAt, health: data.health } : { generation: data.generation, changedAt: data.changedAt }
}

function databaseStamp (dbPath: string): DataStamp {
  const db = openDatabase(dbPath, { readonly: true })
  try {
    const store = new SummaryStore(db)
    const { generation, changedAt } = store.stamp()
    return { generation, changedAt, health: store.repoHealthKey() }
  } finally {
    db.close()
  }
}

/**
 * Why the export should run now, or null when it is current. Besides this run's changes, the manifest's
 * data stamp (and which repos fail) is compared with the database's: an export that failed, was skipped or killed, or data
 * changed by `npm run repos -- remove` or a run without --export, is caught up by the next run.
 */
export function exportReason (target: ExportTarget, dbPath: string, summary: RunSummary): string | null {
  const exported = exportedStamp(target.outDir)
  if (exported === null) return 'no export yet'
  if (summary.repos.some((r) => r.added + r.changed + r.withdrawn > 0)) return 'data changed'
  if (exported === 'unknown') return 'manifest unreadable'
  const current = databaseStamp(dbPath)
  if (current.generation !== exported.generation || current.changedAt !== exported.changedAt) return 'export behind the data'
  // A mirror that starts or stops failing shows on the exported products page and API (at the cost of an
  // export that renders a few documents); the times of each run are left to the next export.
  if (current.health !== exported.health) return 'repo health changed'
  return null
}

/** `node bin/export.js` beside this file: dist/bin/export.js when built, bin/export.ts through tsx from source. */
export function exportCommand (): string[] {
  const here = fileURLToPath(import.meta.url)
  const fromSource = here.endsWith('.ts')
  const entry = join(dirname(here), '..', 'bin', fromSource ? 'export.ts' : 'export.js')
  return fromSource ? ['--import', import.meta.resolve('tsx'), entry] : [entry]
}

function exportArgs (target: ExportTarget, dbPath: string): string[] {
  return [
    '--db', dbPath, '--out', target.outDir, '--public-url', target.publicUrl,
    ...(target.dynamicUrl === null ? [] : ['--dynamic-url', target.dynamicUrl]),
    '--json'
  ]
}

/** The export's own message: the last line it wrote on stderr, without its "export: " prefix. */
function lastLine (stderr: string): string {
  const line = stderr.trim().split('\n').at(-1) ?? ''
  return line.replace(/^export: /, '')
}

function parseSummary (stdout: string): ExportSummaryJson | null {
  try {
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Partial<ExportSummaryJson>
    return typeof parsed.written === 'number' && typeof parsed.kept === 'number' && typeof parsed.deleted === 'number' ? parsed as ExportSummaryJson : null
  } catch {
    return null
  }
}

// A function, so that TypeScript does not keep a check made before an await.
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

/** Runs the export to its end; a signal (the worker stopping) is passed on to it. Never throws. */
export async function runExportChild (target: ExportTarget, dbPath: string, reason: string, signal?: AbortSignal): Promise<ExportOutcome> {
  const command = exportCommand()
  const entry = command.at(-1)!
  if (!existsSync(entry)) return { status: 'failed', reason, exitCode: null, message: `${entry} is missing (npm run build makes it)`, durationMs: 0 }
  if (aborted(signal)) return { status: 'interrupted', reason }
  const started = performance.now()
  const child = spawn(process.execPath, [...command, ...exportArgs(target, dbPath)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { if (stdout.length < outputCap) stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-outputCap) })
  const stop = (): void => { child.kill('SIGTERM') }
  signal?.addEventListener('abort', stop, { once: true })
  const ended = await new Promise<{ code: number | null, signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once('error', (error) => { resolve({ error }) })
    child.once('close', (code, sig) => { resolve({ code, signal: sig }) })
  })
  signal?.removeEventListener('abort', stop)
  const durationMs = Math.round(performance.now() - started)
  if ('error' in ended) return { status: 'failed', reason, exitCode: null, message: ended.error.message, durationMs }
  if (aborted(signal)) return { status: 'interrupted', reason }
  if (ended.code === lockedStatus) return { status: 'skipped', reason, message: lastLine(stderr) }
  if (ended.code !== 0) {
    const message = lastLine(stderr) || (ended.signal !== null ? `killed by ${ended.signal}` : 'the export failed without a message')
    return { status: 'failed', reason, exitCode: ended.code, message, durationMs }
  }
  const summary = parseSummary(stdout)
  if (summary === null) return { status: 'failed', reason, exitCode: 0, message: 'the export printed no summary', durationMs }
  return { status: 'ok', reason, summary, durationMs }
}

/** Decides and runs: the outcome to log (unchanged when the export is current). */
export async function keepExportCurrent (target: ExportTarget, dbPath: string, summary: RunSummary, signal?: AbortSignal): Promise<ExportOutcome> {
  let reason: string | null
  try {
    reason = exportReason(target, dbPath, summary)
  } catch (err) {
    return { status: 'failed', reason: 'checking the data stamp', exitCode: null, message: (err as Error).message, durationMs: 0 }
  }
  if (reason === null) return { status: 'unchanged' }
  return await runExportChild(target, dbPath, reason, signal)
}

// --- the log line, in the worker's forms (ingest/run-output.ts): pino-shaped JSON on stdout, or text on stderr ---

const levels = { ok: 30, unchanged: 30, skipped: 40, interrupted: 40, failed: 50 } as const

export function exportJsonLine (outDir: string, outcome: ExportOutcome, time: number): Record<string, unknown> {
  const base = { level: levels[outcome.status], time, msg: `export ${outcome.status}`, out: outDir, status: outcome.status }
  switch (outcome.status) {
    case 'ok': {
      const s = outcome.summary
      return { ...base, reason: outcome.reason, documents: s.documents, files: s.files, bytes: s.bytes, written: s.written, kept: s.kept, deleted: s.deleted, skipped: Array.isArray(s.skipped) ? s.skipped.length : 0, passes: s.passes, settled: s.settled, seconds: s.seconds, duration_ms: outcome.durationMs }
    }
    case 'unchanged': return base
    case 'skipped': return { ...base, reason: outcome.reason, error: outcome.message }
    case 'failed': return { ...base, reason: outcome.reason, exit_code: outcome.exitCode, error: outcome.message, duration_ms: outcome.durationMs }
    case 'interrupted': return { ...base, reason: outcome.reason }
  }
}

export function exportTextLine (outDir: string, outcome: ExportOutcome): string {
  switch (outcome.status) {
    case 'ok': {
      const s = outcome.summary
      return `export: ${outDir}: ${s.written} written, ${s.kept} kept, ${s.deleted} deleted${Array.isArray(s.skipped) && s.skipped.length > 0 ? `, ${s.skipped.length} documents skipped` : ''} (${s.seconds} s; ${outcome.reason})${s.settled ? '' : '; the data kept changing: the next run exports again'}`
    }
    case 'unchanged': return `export: ${outDir} is current`
    case 'skipped': return `export: skipped ${outDir}: ${outcome.message}`
    case 'failed': return `export: FAILED ${outDir}: ${outcome.message}${outcome.exitCode === null ? '' : ` (exit status ${outcome.exitCode})`}; the next run tries again`
    case 'interrupted': return `export: interrupted ${outDir}; the next run finishes it`
  }
}

/** Writes the outcome as the worker logs: JSON lines on stdout, else a text line on stderr (stdout may hold the summary). */
export function exportLogger (format: LogFormat, streams: { stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream }, now: () => number = Date.now): (outDir: string, outcome: ExportOutcome) => void {
  return (outDir, outcome) => {
    if (format === 'json') streams.stdout.write(`${JSON.stringify(exportJsonLine(outDir, outcome, now()))}\n`)
    else streams.stderr.write(`${exportTextLine(outDir, outcome)}\n`)
  }
}
