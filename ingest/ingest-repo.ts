// Ingests one repo exactly as yum reads it, trying its mirrors in order. Per mirror, the pipeline:
// locate (repomd.xml) -> fetch and verify -> decompress -> readUpdateinfo -> write, in one transaction or not at all.
import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { RepoCounts } from '../db/advisory-store.js'
import type { RepoState } from '../db/repo-store.js'
import type { RepoSpec } from './config.js'
import { createDecompressor } from './decompress.js'
import { createMeter, decompressedBytes } from './decompressed-bytes.js'
import { discardDownload, fetchUpdateinfo, type UpdateinfoFile } from './fetch-updateinfo.js'
import { locateUpdateinfo } from './locate-updateinfo.js'
import { candidateBases, repoRoot } from './mirrors.js'
import type { ReadResult } from './read-updateinfo.js'
import { IngestError, type RepoContext } from './repo-context.js'
import { storageProblem } from './storage-error.js'
import { readInWorker, workerReadFrom, type ReadJob } from './worker-reader.js'
import { writeAdvisories } from './write-advisories.js'

export interface RepoResult extends RepoCounts {
  product: string
  url: string
  status: 'ok' | 'unchanged' | 'failed'
  error: string | null
  checksum: string | null
  warnings: number
}

export async function ingestRepo (spec: RepoSpec, state: RepoState, ctx: RepoContext): Promise<RepoResult> {
  const result: RepoResult = { product: spec.productId, url: spec.url, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null, checksum: null, warnings: 0 }
  try {
    await ingestInto(spec, state, ctx, result)
  } catch (err) {
    result.status = 'failed'
    result.error = `${spec.productId} repo ${spec.url}: ${storageProblem(err, dirname(ctx.tempDir)) ?? (err as Error).message}`
    Object.assign(result, { added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0 })
    ctx.repos.saveFailure(state.id, result.error, ctx.now())
  }
  return result
}

/**
 * Failures of the mirror (an answer, a file or its content) send the run to the next mirror, as yum
 * does; failures here (the database, the local disk, a stop signal) end the repo at once.
 */
function isMirrorFailure (err: unknown, ctx: RepoContext): boolean {
  const name = (err as Error | null)?.name
  if (name === 'DownloadInterrupted' || name === 'AbortError' || name === 'LocalWriteError' || name === 'SqliteError') return false
  return storageProblem(err, dirname(ctx.tempDir)) === null
}

async function ingestInto (spec: RepoSpec, state: RepoState, ctx: RepoContext, result: RepoResult): Promise<void> {
  const bases = await candidateBases(spec, ctx)
  const failures: Array<{ base: string, message: string }> = []
  for (const base of bases) {
    let root: string
    try { root = repoRoot(base) } catch (err) { failures.push({ base, message: (err as Error).message }); continue }
    try {
      await ingestFromMirror(spec, state, ctx, result, root)
      return
    } catch (err) {
      if (!isMirrorFailure(err, ctx)) throw err
      failures.push({ base: root, message: (err as Error).message })
      if (failures.length < bases.length) ctx.log.warn(`${spec.productId} ${root}: ${(err as Error).message}; trying the next mirror`)
    }
  }
  throw new IngestError(bases.length === 1
    ? failures[0]!.message
    : `every mirror failed: ${failures.map((f) => `${f.base}: ${f.message}`).join('; ')}`)
}

/** One mirror, from repomd.xml to commit; throws (its transaction rolled back) when any step fails. */
async function ingestFromMirror (spec: RepoSpec, state: RepoState, ctx: RepoContext, result: RepoResult, root: string): Promise<void> {
  const located = await locateUpdateinfo(spec, state, ctx, root)
  // What the repo's row keeps of this mirror's repomd.xml, whatever follows.
  const repomdState = { id: state.id, baseUrl: root, etag: located.repomd.etag, lastModified: located.repomd.lastModified, ...located.seen }
  if (!located.changed) {
    ctx.repos.saveSuccess({ ...repomdState, updateinfoUrl: null, checksumType: state.checksum_type, checksum: state.checksum, status: 'unchanged', now: ctx.now() })
    result.status = 'unchanged'
    result.checksum = state.checksum
    return
  }
  const { updateinfo } = located
  const checksum = updateinfo?.entry.checksum ?? null
  const file = updateinfo === null ? null : await fetchUpdateinfo(updateinfo.entry, updateinfo.location, root, spec, ctx)
  try {
    const written = await writeAdvisories(file === null ? null : updateinfoRecords(file, spec, ctx), {
      advisories: ctx.advisories,
      repos: ctx.repos,
      productId: spec.productId,
      runId: ctx.runId,
      now: ctx.now,
      state: { ...repomdState, updateinfoUrl: updateinfo?.location.url ?? null, checksumType: checksum?.type ?? null, checksum: checksum?.value ?? null, status: 'ok' },
      noEntry: updateinfo === null,
      allowWithdraw: ctx.allowWithdraw === true,
      warn: (message) => { ctx.log.warn(`${spec.productId} ${root}: ${message}`) }
    })
    Object.assign(result, written, { status: 'ok', checksum: checksum?.value ?? null })
  } finally {
    if (file !== null) await discardDownload(file.path, ctx.tempDir)
  }
}

/**
 * Steps 3 and 4 with progress: in a worker thread when the file is large enough for the overlap of reading and
 * writing to pay for starting one (worker-reader.ts), else here. open-size and open-checksum are checked once
 * every record was read, and their error comes after the records: the writer has taken them all by then, so a
 * failure there still rolls the repo back.
 */
async function * updateinfoRecords (file: UpdateinfoFile, spec: RepoSpec, ctx: RepoContext): AsyncGenerator<ReadResult> {
  const total = (await stat(file.path)).size
  let lastReport = 0
  let updates = 0
  const onBatch = (bytes: number, read: number): void => {
    if (ctx.onProgress === undefined || read - lastReport < 500) return
    lastReport = read
    ctx.onProgress({ phase: 'parse', repo: spec, bytes, total, advisories: read })
  }
  const job = { path: file.path, compression: file.compression, entry: file.entry, limits: ctx.limits }
  const records = total >= (ctx.readInWorkerFrom ?? workerReadFrom) ? readInWorker(job, onBatch) : readHere(job, onBatch)
  for await (const record of records) {
    updates++
    yield record
  }
  ctx.onProgress?.({ phase: 'parse', repo: spec, bytes: total, total, advisories: updates })
}

/** The same records as readInWorker, read on this thread: a small file is read before a worker would start. */
async function * readHere (job: ReadJob, onBatch: (compressedRead: number, records: number) => void): AsyncGenerator<ReadResult> {
  const meter = createMeter(job.entry, job.limits.maxDecompressedBytes)
  const decompressor = await createDecompressor(job.compression)
  // Loaded here, not at start: an unchanged repo (the common case) never parses, so never pays for it.
  const { readUpdateinfo } = await import('./read-updateinfo.js')
  yield * readUpdateinfo(decompressedBytes(job.path, job.compression, decompressor, meter), {
    maxTextRun: job.limits.maxTextRun,
    limits: job.limits.update,
    onProgress: (read) => { onBatch(meter.compressedRead, read) }
  })
  meter.verify()
}
