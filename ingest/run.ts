// One ingest run: take the lock, migrate, ingest every repo (a failed repo does not stop the others),
// and record each repo's outcome in the run log. Stops between repos when asked to (SIGTERM, Ctrl-C).
import { mkdir, rm } from 'node:fs/promises'
import { AdvisoryStore } from '../db/advisory-store.js'
import { migrate } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { ProductStore } from '../db/product-store.js'
import { RepoStore } from '../db/repo-store.js'
import { nowIsoSeconds } from '../domain/time.js'
import { canonicalSpec, withoutCredentials, type RepoSpec } from './config.js'
import { defaultFetchOptions, redactCredentials, type FetchOptions } from './fetcher.js'
import { ingestRepo, type RepoResult } from './ingest-repo.js'
import { acquireIngestLock } from './lock.js'
import { settleProducts, type KeyResult } from './product-state.js'
import { defaultLimits, type IngestLimits, type Logger, type Progress } from './repo-context.js'
import { canonicalStoredUrl } from './repo-url.js'

export interface RunOptions {
  dbPath: string
  repos: RepoSpec[]
  fetch?: Partial<FetchOptions>
  limits?: Partial<IngestLimits>
  log?: Logger
  onProgress?: (progress: Progress) => void
  onRepoStart?: (repo: RepoSpec) => void
  onRepoDone?: (result: RepoResult) => void
  /** Aborting stops a download in progress (that repo fails), lets a repo being written commit, and skips the rest. */
  signal?: AbortSignal
  lockWaitMs?: number
  /** Confirms a mass withdrawal or an older repomd (--allow-withdraw); refused by default. */
  allowWithdraw?: boolean
  /** Updateinfo files from this many bytes (as downloaded) are read in a worker thread; tests lower it. */
  readInWorkerFrom?: number
}

export interface RunSummary {
  runId: number
  repos: RepoResult[]
  /** The signing keys read, one per product whose configuration names one (none: absent or empty). */
  keys?: KeyResult[]
  interrupted: boolean
}

/** A repo or a signing key failed: the run's status, and exit status 1. */
export function runFailed (summary: Pick<RunSummary, 'repos' | 'keys'>): boolean {
  return summary.repos.some((r) => r.status === 'failed') || (summary.keys ?? []).some((k) => k.status === 'failed')
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} }

// A function, so that TypeScript does not keep a check made before an await.
const stopping = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

export async function runIngest (options: RunOptions): Promise<RunSummary> {
  const lock = acquireIngestLock(options.dbPath, options.lockWaitMs ?? 0)
  const db = openDatabase(options.dbPath)
  // One transaction writes a whole repo: a 64 MB page cache keeps index pages in memory instead of
  // spilling them to the WAL again and again (measured: about 15 % faster on 20,000 advisories).
  db.pragma('cache_size = -65536')
  // Downloads go beside the database; holding the lock, whatever a killed run left there is ours to remove.
  const tempDir = `${options.dbPath}.ingest-tmp`
  try {
    await rm(tempDir, { recursive: true, force: true })
    await mkdir(tempDir, { recursive: true })
    migrate(db)
    const repoStore = new RepoStore(db)
    const advisoryStore = new AdvisoryStore(db)
    repoStore.closeAbandonedRuns()
    const scrubbed = repoStore.scrubCredentials(redactCredentials)
    if (scrubbed > 0) options.log?.info(`removed credentials from ${scrubbed} repo and run-log rows written by an earlier version`)
    const renamed = repoStore.canonicaliseUrls(canonicalStoredUrl)
    if (renamed > 0) options.log?.info(`rewrote ${renamed} repo URLs stored by an earlier version in their canonical form`)
    const runId = repoStore.startRun(nowIsoSeconds())
    const keys = await settleProducts(options.repos, {
      products: new ProductStore(db),
      tempDir,
      fetch: { ...defaultFetchOptions, ...options.fetch },
      now: nowIsoSeconds,
      log: options.log ?? silentLogger,
      ...(options.signal !== undefined && { signal: options.signal })
    })
    const results: RepoResult[] = []
    let interrupted = false
    for (const given of options.repos) {
      // Credentials never reach the database, the log or the results: only the Authorization header.
      const spec = withoutCredentials(canonicalSpec(given))
      const startedAt = nowIsoSeconds()
      const state = repoStore.ensureRepo(spec.productId, spec.productName, spec.url, spec.kind, spec.name, startedAt)
      let result: RepoResult
      if (options.signal?.aborted === true) {
        interrupted = true
        result = { product: spec.productId, url: spec.url, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: 'not ingested: the run was interrupted', checksum: null, warnings: 0 }
      } else {
        options.onRepoStart?.(spec)
        result = await ingestRepo(spec, state, {
          advisories: advisoryStore,
          repos: repoStore,
          runId,
          fetch: { ...defaultFetchOptions, ...options.fetch, allowedHosts: spec.allowedHosts, credentials: spec.credentials ?? {}, ...(options.signal !== undefined && { signal: options.signal }) },
          limits: { ...defaultLimits, ...options.limits },
          tempDir,
          log: options.log ?? silentLogger,
          onProgress: options.onProgress,
          now: nowIsoSeconds,
          allowWithdraw: options.allowWithdraw ?? false,
          ...(options.readInWorkerFrom !== undefined && { readInWorkerFrom: options.readInWorkerFrom })
        })
        // The signal came while this repo was downloading: it failed because the run is stopping.
        if (stopping(options.signal) && result.status === 'failed') interrupted = true
      }
      repoStore.log({ runId, repoId: state.id, url: spec.url, startedAt, finishedAt: nowIsoSeconds(), status: result.status, checksum: result.checksum, added: result.added, changed: result.changed, unchanged: result.unchanged, withdrawn: result.withdrawn, skipped: result.skipped, error: result.error })
      results.push(result)
      options.onRepoDone?.(result)
    }
    repoStore.finishRun(runId, interrupted ? 'interrupted' : runFailed({ repos: results, keys }) ? 'failed' : 'ok', nowIsoSeconds())
    return { runId, repos: results, keys, interrupted }
  } finally {
    db.close()
    lock.release()
    await rm(tempDir, { recursive: true, force: true })
  }
}
