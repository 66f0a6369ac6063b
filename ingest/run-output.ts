// What the worker prints while it runs, in one of three forms: log lines for people (`--log-format text`
// without a terminal), JSON lines for log collectors (`--log-format json`, the default without a terminal),
// or only the end-of-run summary as JSON (`--json`). The terminal's progress bar is progress-bar.ts.
import type { DisabledSource, RepoSpec } from './config.js'
import { redactCredentials } from './fetcher.js'
import type { RepoResult } from './ingest-repo.js'
import type { Logger, Progress } from './repo-context.js'
import { failedRunSummary, formatSummary, jsonSummary, keyJson, repoCounts } from './report.js'
import { runFailed, type RunSummary } from './run.js'

/** Called by bin/ingest.ts around each run; `log` and the repo callbacks go to runIngest. */
export interface RunOutput {
  log: Logger
  runStart: (disabled: DisabledSource[]) => void
  repoStart: (spec: RepoSpec) => void
  progress: (progress: Progress) => void
  repoDone: (result: RepoResult) => void
  runDone: (summary: RunSummary) => void
  /** The run failed as a whole (no lock, the database): `repos` were not ingested. */
  runFailed: (repos: RepoSpec[], message: string) => void
  /** --watch: the next run starts in `ms`. */
  nextCheck: (ms: number) => void
}

export interface Streams { stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream }

const noop = (): void => {}

export function disabledLine (d: DisabledSource): string {
  return `${d.productId}: skipped ${d.source}: ${d.reason}`
}

/** Log lines on stderr, the summary table on stdout. */
export function textOutput ({ stdout, stderr }: Streams): RunOutput {
  const line = (text: string): void => { stderr.write(`${redactCredentials(text)}\n`) }
  return {
    log: { info: line, warn: (m) => { line(`warning: ${m}`) } },
    runStart: (disabled) => { for (const d of disabled) line(disabledLine(d)) },
    repoStart: (spec) => { line(`${spec.productId}: ingesting ${spec.url}`) },
    progress: noop,
    repoDone: (r) => {
      line(r.status === 'failed'
        ? `${r.product}: FAILED ${r.error ?? ''}`
        : `${r.product}: ${r.status} ${r.url} added=${r.added} changed=${r.changed} unchanged=${r.unchanged} withdrawn=${r.withdrawn} skipped=${r.skipped}`)
    },
    runDone: (summary) => { stdout.write(formatSummary(summary)) },
    runFailed: (_repos, message) => { line(`ingest: ${message}`) },
    nextCheck: (ms) => { line(`ingest: next check in ${Math.round(ms / 1000)} s`) }
  }
}

/** --json: nothing while running, then one line of JSON on stdout (and a failed run's cause on stderr too). */
export function summaryJsonOutput ({ stdout, stderr }: Streams): RunOutput {
  let disabled: DisabledSource[] = []
  return {
    log: { info: noop, warn: noop },
    runStart: (d) => { disabled = d },
    repoStart: noop,
    progress: noop,
    repoDone: noop,
    runDone: (summary) => { stdout.write(`${JSON.stringify(jsonSummary(summary, disabled))}\n`) },
    runFailed: (repos, message) => {
      stdout.write(`${JSON.stringify(failedRunSummary(repos, message))}\n`)
      stderr.write(`ingest: ${redactCredentials(message)}\n`)
    },
    nextCheck: noop
  }
}

// The server's log lines are pino's: numeric levels, time in ms since the epoch, msg. The worker's are too,
// so that one log pipeline reads both.
const levels = { info: 30, warn: 40, error: 50 } as const

/** One JSON object per line on stdout: a line per repo (with the pipeline's notes on it), per warning and per run. */
export function jsonLinesOutput ({ stdout }: Streams, now: () => number = Date.now): RunOutput {
  const emit = (level: keyof typeof levels, msg: string, fields: Record<string, unknown> = {}): void => {
    stdout.write(`${JSON.stringify({ level: levels[level], time: now(), msg: redactCredentials(msg), ...fields })}\n`)
  }
  let runStarted = now()
  let repoStarted: number | null = null
  let repoName: string | null = null
  // What the pipeline says about the repo in hand ("updateinfo unchanged", ...) goes into the repo's line.
  let notes: string[] = []
  return {
    log: {
      info: (m) => { if (repoStarted === null) emit('info', m); else notes.push(redactCredentials(m)) },
      warn: (m) => { emit('warn', m) }
    },
    runStart: (disabled) => {
      runStarted = now()
      for (const d of disabled) emit('info', 'repo disabled', { product: d.productId, source: d.source, status: 'disabled', reason: d.reason })
    },
    repoStart: (spec) => {
      repoStarted = now()
      repoName = spec.name
    },
    progress: noop,
    repoDone: (r) => {
      emit(r.status === 'failed' ? 'error' : 'info', `repo ${r.status}`, {
        product: r.product,
        repo: r.url,
        repo_name: repoName,
        status: r.status,
        ...repoCounts(r),
        warnings: r.warnings,
        duration_ms: repoStarted === null ? 0 : now() - repoStarted,
        error: r.error === null ? null : redactCredentials(r.error),
        notes
      })
      repoStarted = null
      repoName = null
      notes = []
    },
    runDone: (summary) => {
      const keys = summary.keys ?? []
      for (const k of keys) emit(k.status === 'ok' ? 'info' : 'error', `key ${k.status}`, { ...keyJson(k), error: k.error === null ? null : redactCredentials(k.error) })
      const failed = summary.repos.filter((r) => r.status === 'failed').length
      const status = summary.interrupted ? 'interrupted' : runFailed(summary) ? 'failed' : 'ok'
      const keysFailed = keys.length === 0 ? {} : { keys_failed: keys.filter((k) => k.status === 'failed').length }
      emit(status === 'ok' ? 'info' : 'error', `run ${status}`, { run_id: summary.runId, status, repos: summary.repos.length, failed, ...keysFailed, duration_ms: now() - runStarted })
    },
    runFailed: (repos, message) => { emit('error', 'run failed', { status: 'failed', repos: repos.length, error: redactCredentials(message) }) },
    nextCheck: (ms) => { emit('info', 'next check', { next_check_in_s: Math.round(ms / 1000) }) }
  }
}
