#!/usr/bin/env node
// Entry point of the ingest worker: `npm run ingest -- ...`. Progress on a terminal, log lines
// otherwise, `--json` for machines; `--watch` keeps it running as a worker.
import type cliProgress from 'cli-progress'
import { dirname, resolve } from 'node:path'
import { parseCliArgs, usage, UsageError, type CliOptions } from '../ingest/args.js'
import { ConfigError } from '../ingest/config.js'
import { redactCredentials } from '../ingest/fetcher.js'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { LockError } from '../ingest/lock.js'
import { RepoFileError } from '../ingest/repo-file.js'
import type { Logger } from '../ingest/repo-context.js'
import { failedRunSummary, formatSummary, jsonSummary } from '../ingest/report.js'
import { runIngest, silentLogger, type RunSummary } from '../ingest/run.js'
import { storageProblem } from '../ingest/storage-error.js'

const stderrLogger: Logger = {
  info: (m) => { process.stderr.write(`${redactCredentials(m)}\n`) },
  warn: (m) => { process.stderr.write(`warning: ${redactCredentials(m)}\n`) }
}

async function runOnce (options: CliOptions, signal: AbortSignal): Promise<RunSummary> {
  const interactive = process.stderr.isTTY && !options.json
  const log = options.json ? silentLogger : stderrLogger
  let bar: cliProgress.SingleBar | null = null
  // The progress bar's library is loaded only for a terminal: scripts and --json never pay for it.
  const progress = interactive ? (await import('cli-progress')).default : null
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
    log: interactive ? { info: () => {}, warn: (m) => { bar?.stop(); bar = null; stderrLogger.warn(m) } } : log,
    onRepoStart: (repo) => {
      if (progress !== null) {
        bar = new progress.SingleBar({
          format: `${repo.productId} ${repo.name ?? repo.url} [{bar}] {percentage}% | {value}/{total} kB | {advisories} advisories`,
          stream: process.stderr,
          hideCursor: true
        }, progress.Presets.shades_classic)
        bar.start(1, 0, { advisories: 0 })
      } else {
        log.info(`${repo.productId}: ingesting ${repo.url}`)
      }
    },
    onProgress: (p) => {
      if (bar === null) return
      const kB = Math.ceil(p.bytes / 1024)
      if (p.phase === 'download') {
        // The size may be unknown while downloading: the bar grows with the bytes received.
        bar.setTotal(Math.max(1, kB))
        bar.update(kB)
        return
      }
      bar.setTotal(Math.max(1, Math.ceil(p.total / 1024)))
      bar.update(kB, { advisories: p.advisories })
    },
    onRepoDone: (result: RepoResult) => {
      bar?.stop()
      bar = null
      if (!interactive) {
        log.info(result.status === 'failed'
          ? `${result.product}: FAILED ${result.error ?? ''}`
          : `${result.product}: ${result.status} ${result.url} added=${result.added} changed=${result.changed} unchanged=${result.unchanged} withdrawn=${result.withdrawn} skipped=${result.skipped}`)
      } else if (result.status === 'failed') {
        stderrLogger.warn(result.error ?? 'failed')
      }
    }
  }).catch((err: unknown) => {
    // The whole run failed (no lock, the database cannot be opened or written): say why, and with
    // --json still answer one line of JSON.
    const problem = storageProblem(err, dirname(resolve(options.dbPath)))
    if (problem !== null && err instanceof Error) err.message = problem
    if (options.json) process.stdout.write(`${JSON.stringify(failedRunSummary(options.repos, (err as Error).message))}\n`)
    throw err
  })
  process.stdout.write(options.json ? `${JSON.stringify(jsonSummary(summary))}\n` : formatSummary(summary))
  return summary
}

async function main (): Promise<number> {
  let options: CliOptions
  try {
    options = parseCliArgs(process.argv.slice(2))
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RepoFileError) {
      process.stderr.write(`ingest: ${redactCredentials(err.message)}\n\n${usage}\n`)
      return 2
    }
    throw err
  }
  if (options.help) { process.stdout.write(`${usage}\n`); return 0 }

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
      const summary = await runOnce(options, controller.signal)
      if (summary.interrupted) return received === 'SIGINT' ? 130 : 143
      return summary.repos.some((r) => r.status === 'failed') ? 1 : 0
    }
    while (!controller.signal.aborted) {
      await runOnce(options, controller.signal)
      const delay = options.intervalMs * (0.9 + Math.random() * 0.2)
      if (!options.json) stderrLogger.info(`ingest: next check in ${Math.round(delay / 1000)} s`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay)
        controller.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
      })
    }
    return 0
  } catch (err) {
    if (err instanceof LockError) { process.stderr.write(`ingest: ${err.message}\n`); return 75 }
    process.stderr.write(`ingest: ${redactCredentials((err as Error).message)}\n`)
    return 1
  }
}

process.exitCode = await main()
