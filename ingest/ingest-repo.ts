// Ingests one repo exactly as yum reads it: repomd.xml, the updateinfo entry, download, size and checksum,
// decompression by magic bytes, streaming parse; all of it written in one transaction or not at all.
import { createReadStream } from 'node:fs'
import { open, readFile, rm, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { PassThrough, Transform, type Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import type { AdvisoryStore, DropPlan, RepoCounts } from '../db/advisory-store.js'
import type { RepoState, RepoStore } from '../db/repo-store.js'
import { checksumFile, createChecksum } from './checksum.js'
import type { RepoSpec } from './config.js'
import { compressionFromName, createDecompressor, detectCompression, UnsupportedCompressionError, zchunkUnsupported, type Compression } from './decompress.js'
import { download, toLocation, type FetchOptions, type Location } from './fetcher.js'
import type { ReadResult } from './read-updateinfo.js'
import { parseRepomdWithAge, repomdOlder, type UpdateinfoEntry } from './repomd.js'
import { storageProblem } from './storage-error.js'
import { defaultUpdateLimits, type UpdateLimits } from './update-limits.js'

export interface IngestLimits {
  maxDecompressedBytes: number
  maxTextRun: number
  maxMirrorlistBytes: number
  maxRepomdBytes: number
  /** Per advisory: fields, attributes, the whole <update>, and the nesting depth (update-limits.ts). */
  update: UpdateLimits
}

export const defaultLimits: IngestLimits = {
  maxDecompressedBytes: 1024 ** 3,
  maxTextRun: 64 * 1024 * 1024,
  maxMirrorlistBytes: 1024 * 1024,
  maxRepomdBytes: 16 * 1024 * 1024,
  update: defaultUpdateLimits
}

/** A run may drop this share of a repo's advisories (and always fewer than `min`) without --allow-withdraw. */
export const withdrawalGuard = { share: 0.1, min: 5 }

export interface Logger {
  info: (message: string) => void
  warn: (message: string) => void
}

export type Progress =
  | { phase: 'download', repo: RepoSpec, bytes: number }
  | { phase: 'parse', repo: RepoSpec, bytes: number, total: number, advisories: number }

export interface RepoContext {
  advisories: AdvisoryStore
  repos: RepoStore
  runId: number
  fetch: FetchOptions
  limits: IngestLimits
  tempDir: string
  log: Logger
  onProgress?: (progress: Progress) => void
  now: () => string
  /** The operator confirms a mass withdrawal or an older repomd (--allow-withdraw). */
  allowWithdraw?: boolean
}

export interface RepoResult extends RepoCounts {
  product: string
  url: string
  status: 'ok' | 'unchanged' | 'failed'
  error: string | null
  checksum: string | null
  warnings: number
}

export class IngestError extends Error { override name = 'IngestError' }

const maxLoggedWarnings = 20

function ensureSlash (url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

function rootUrl (base: string): string {
  return ensureSlash(toLocation(base).url)
}

async function readSmall (location: Location, ctx: RepoContext, name: string, maxBytes: number, conditional = {}): Promise<{ text: string | null, etag: string | null, lastModified: string | null }> {
  const dest = join(ctx.tempDir, name)
  const got = await download(location, dest, { ...ctx.fetch, maxBytes }, conditional)
  if (got.notModified) return { text: null, etag: got.etag, lastModified: got.lastModified }
  const text = await readFile(got.path, 'utf8')
  return { text, etag: got.etag, lastModified: got.lastModified }
}

async function candidateBases (spec: RepoSpec, ctx: RepoContext): Promise<string[]> {
  if (spec.kind === 'baseurl') return spec.baseurls
  let body: string | null
  try {
    body = (await readSmall(toLocation(spec.url), ctx, 'mirrorlist', ctx.limits.maxMirrorlistBytes)).text
  } catch (err) {
    throw new IngestError(`mirrorlist: ${(err as Error).message}`)
  }
  const listed = (body ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  if (listed.length === 0) throw new IngestError(`the mirrorlist ${spec.url} lists no mirrors`)
  // A remote mirrorlist may send us to http(s) mirrors only, never to the local disk.
  if (toLocation(spec.url).kind === 'file') return listed
  const mirrors = listed.filter((m) => /^https?:\/\//i.test(m))
  if (mirrors.length < listed.length) ctx.log.warn(`${spec.productId} ${spec.url}: ${listed.length - mirrors.length} mirror(s) skipped: a remote mirrorlist may list only http and https mirrors`)
  if (mirrors.length === 0) throw new IngestError(`the mirrorlist ${spec.url} lists no http or https mirrors (${listed.length} other entries skipped: a remote mirrorlist may not point to local files)`)
  return mirrors
}

/** The updateinfo URL, refused when it leaves the repo (file repos) or goes to a host not allowed. */
export function resolveUpdateinfoLocation (root: string, entry: UpdateinfoEntry, allowedHosts: string[]): Location {
  let target: URL
  try {
    const base = entry.xmlBase === null ? root : ensureSlash(new URL(entry.xmlBase, root).href)
    target = new URL(entry.href, base)
  } catch {
    throw new IngestError(`repomd.xml: the updateinfo location "${entry.href}" is not a valid URL`)
  }
  const rootUrlObject = new URL(root)
  if (rootUrlObject.protocol === 'file:') {
    if (target.protocol !== 'file:') throw new IngestError(`repomd.xml: the updateinfo location ${target.href} leaves this file repo`)
    const rel = relative(fileURLToPath(rootUrlObject), fileURLToPath(target))
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new IngestError(`repomd.xml: the updateinfo location "${entry.href}" escapes the repo root`)
    return toLocation(target.href, root)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new IngestError(`repomd.xml: the updateinfo location ${target.href} uses the ${target.protocol} scheme; only http and https are followed`)
  }
  if (target.host !== rootUrlObject.host && !allowedHosts.includes(target.hostname) && !allowedHosts.includes(target.host)) {
    throw new IngestError(`repomd.xml: the updateinfo location points to host ${target.host}, which is not this repo's and not in allowedHosts`)
  }
  return toLocation(target.href)
}

async function readHead (path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(8)
    const { bytesRead } = await handle.read(buffer, 0, 8, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

const compressionNames: Record<Compression, string> = { gzip: 'gzip', bzip2: 'bzip2', xz: 'xz', zstd: 'zstd', zchunk: 'zchunk', none: 'uncompressed' }

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
    try { root = rootUrl(base) } catch (err) { failures.push({ base, message: (err as Error).message }); continue }
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
  const { log } = ctx
  // Conditional requests only make sense against the mirror that answered last time.
  const conditional = root === state.base_url && state.checksum !== null ? { etag: state.repomd_etag, lastModified: state.repomd_last_modified } : {}
  const repomd = await readSmall(toLocation(new URL('repodata/repomd.xml', root).href, root), ctx, 'repomd.xml', ctx.limits.maxRepomdBytes, conditional)
  const last = { revision: state.repomd_revision, timestamp: state.repomd_timestamp }
  const saveUnchanged = (seen: { revision: string | null, timestamp: string | null }): void => {
    ctx.repos.saveSuccess({ id: state.id, baseUrl: root, updateinfoUrl: null, checksumType: state.checksum_type, checksum: state.checksum, etag: repomd.etag, lastModified: repomd.lastModified, ...seen, status: 'unchanged', now: ctx.now() })
    result.status = 'unchanged'
    result.checksum = state.checksum
  }
  if (repomd.text === null) {
    log.info(`${spec.productId} ${root}: repomd.xml not modified since the last run`)
    saveUnchanged(last)
    return
  }
  const parsed = parseRepomdWithAge(repomd.text)
  const { updateinfo } = parsed
  const seen = { revision: parsed.revision, timestamp: parsed.timestamp }
  // A mirror that went back in time would undo what a newer one published (item 8 of docs/reliability.md).
  const older = repomdOlder(seen, last)
  if (older !== null) {
    if (ctx.allowWithdraw !== true) throw new IngestError(`repomd.xml is older than the one last ingested (${older}): a stale mirror, refused; pass --allow-withdraw if the repo really went back`)
    log.warn(`${spec.productId} ${root}: repomd.xml is older than the one last ingested (${older}); accepted with --allow-withdraw`)
  }
  if (updateinfo === null) log.info(`${spec.productId} ${root}: repomd.xml has no updateinfo entry; the repo publishes no advisories`)
  const checksum = updateinfo?.checksum ?? null
  if (checksum !== null && checksum.value === state.checksum && checksum.type === state.checksum_type) {
    log.info(`${spec.productId} ${root}: updateinfo unchanged (${checksum.type} ${checksum.value.slice(0, 12)}…)`)
    saveUnchanged(seen)
    return
  }

  let path: string | null = null
  let updateinfoUrl: string | null = null
  let compression: Compression = 'none'
  try {
    if (updateinfo !== null) {
      const location = resolveUpdateinfoLocation(root, updateinfo, spec.allowedHosts)
      updateinfoUrl = location.url
      if (compressionFromName(updateinfo.href) === 'zchunk') throw new UnsupportedCompressionError(zchunkUnsupported)
      const onBytes = (bytes: number): void => { ctx.onProgress?.({ phase: 'download', repo: spec, bytes }) }
      const got = await download(location, join(ctx.tempDir, 'updateinfo'), { ...ctx.fetch, onBytes, homeHost: new URL(root).host })
      // Bytes are kept as sent: a Content-Encoding on top of the file is named when the checks fail.
      const encoded = got.contentEncoding === null ? '' : ` (the server sent it with Content-Encoding: ${got.contentEncoding}, a web-server misconfiguration on top of the file)`
      path = got.path
      ctx.onProgress?.({ phase: 'download', repo: spec, bytes: got.size })
      if (updateinfo.size !== null && got.size !== updateinfo.size) {
        throw new IngestError(`size mismatch for ${location.url}: repomd.xml says ${updateinfo.size} bytes, got ${got.size}${encoded}`)
      }
      if (checksum !== null) {
        const actual = await checksumFile(path, checksum.type)
        if (actual !== checksum.value) throw new IngestError(`${checksum.type} checksum mismatch for ${location.url}: repomd.xml says ${checksum.value}, the downloaded file differs${encoded}`)
      }
      compression = detectCompression(await readHead(path))
      const claimed = compressionFromName(updateinfo.href)
      if (claimed !== null && claimed !== compression) {
        throw new IngestError(`${location.url} is not compressed as its name claims: the name says ${compressionNames[claimed]}, the content is ${compressionNames[compression]}`)
      }
    }

    const writer = ctx.advisories.beginRepo(spec.productId, state.id, ctx.runId, ctx.now())
    try {
      let warnings = 0
      const warn = (message: string): void => {
        warnings++
        if (warnings <= maxLoggedWarnings) log.warn(`${spec.productId} ${root}: ${message}`)
      }
      if (path !== null && updateinfo !== null) {
        await parseInto(path, compression, updateinfo, ctx, spec, writer, warn)
      }
      if (warnings > maxLoggedWarnings) log.warn(`${spec.productId} ${root}: ${warnings - maxLoggedWarnings} more warnings not shown`)
      ctx.repos.saveSuccess({ id: state.id, baseUrl: root, updateinfoUrl, checksumType: checksum?.type ?? null, checksum: checksum?.value ?? null, etag: repomd.etag, lastModified: repomd.lastModified, ...seen, status: 'ok', now: ctx.now() })
      const counts = writer.commit((plan) => { checkWithdrawals(plan, updateinfo === null, ctx, (m) => { log.warn(`${spec.productId} ${root}: ${m}`) }) })
      Object.assign(result, counts, { status: 'ok', checksum: checksum?.value ?? null, warnings })
    } catch (err) {
      writer.rollback()
      throw err
    }
  } finally {
    if (path !== null && path.startsWith(ctx.tempDir)) await rm(path, { force: true })
  }
}

/**
 * An empty <updates/>, a repomd without its updateinfo entry or an old copy of the repo would drop
 * most advisories at once: refused unless the operator confirms it (--allow-withdraw).
 */
function checkWithdrawals (plan: DropPlan, noEntry: boolean, ctx: RepoContext, warn: (message: string) => void): void {
  const { listed, dropped } = plan
  if (dropped < withdrawalGuard.min || dropped <= listed * withdrawalGuard.share) return
  const what = `${noEntry ? 'repomd.xml lists no updateinfo, which' : 'the updateinfo'} would drop ${dropped} of the ${listed} advisories this repo listed`
  if (ctx.allowWithdraw === true) {
    warn(`${what}; accepted with --allow-withdraw`)
    return
  }
  throw new IngestError(`${what} (more than ${withdrawalGuard.share * 100} % and at least ${withdrawalGuard.min}): refused as a likely broken or stale mirror; pass --allow-withdraw to confirm a real mass withdrawal`)
}

type Writer = ReturnType<AdvisoryStore['beginRepo']>

/** Decompresses, reads and writes the updateinfo; the writer is fed here, never from inside a stream stage. */
async function parseInto (path: string, compression: Compression, entry: UpdateinfoEntry, ctx: RepoContext, spec: RepoSpec,
  writer: Writer, warn: (message: string) => void): Promise<void> {
  const total = (await stat(path)).size
  const meter = createMeter(entry, ctx.limits.maxDecompressedBytes)
  const decompressor = await createDecompressor(compression)
  // Loaded here, not at start: an unchanged repo (the common case) never parses, so never pays for it.
  const { readUpdateinfo } = await import('./read-updateinfo.js')
  let lastReport = 0
  const records = readUpdateinfo(decompressedBytes(path, compression, decompressor, meter), {
    maxTextRun: ctx.limits.maxTextRun,
    limits: ctx.limits.update,
    onProgress: (updates) => {
      if (ctx.onProgress === undefined || updates - lastReport < 500) return
      lastReport = updates
      ctx.onProgress({ phase: 'parse', repo: spec, bytes: meter.compressedRead, total, advisories: updates })
    }
  })
  const updates = await writeRecords(records, writer, warn)
  ctx.onProgress?.({ phase: 'parse', repo: spec, bytes: total, total, advisories: updates })
  meter.verify()
}

/** Logs each record's warnings and writes each advisory; returns how many <update>s were read. */
async function writeRecords (records: AsyncIterable<ReadResult>, writer: Writer, warn: (message: string) => void): Promise<number> {
  let updates = 0
  for await (const record of records) {
    updates++
    for (const w of record.warnings) warn(w)
    if (record.kind === 'skipped') {
      writer.counts.skipped++
      continue
    }
    if (writer.write(record.advisory) === 'duplicate') {
      warn(`${record.advisory.id} appears more than once; the first occurrence is kept (line ${record.line})`)
    }
  }
  return updates
}

interface Meter {
  /** Counts the compressed bytes read, for progress. */
  compressed: Transform
  /** Counts the decompressed bytes against the limit and hashes them for open-checksum. */
  open: Transform
  readonly compressedRead: number
  readonly openSize: number
  /** open-size and open-checksum, once every byte was read. */
  verify: () => void
}

function createMeter (entry: UpdateinfoEntry, limit: number): Meter {
  const openHash = entry.openChecksum !== null ? createChecksum(entry.openChecksum.type) : null
  let openSize = 0
  let compressedRead = 0
  return {
    get compressedRead () { return compressedRead },
    get openSize () { return openSize },
    // Counted inside the pipeline: a 'data' listener would start the file flowing before it is piped.
    compressed: new Transform({
      transform (chunk: Buffer, _enc, done) { compressedRead += chunk.length; done(null, chunk) }
    }),
    open: new Transform({
      transform (chunk: Buffer, _enc, done) {
        openSize += chunk.length
        if (openSize > limit) {
          done(new IngestError(`the decompressed updateinfo passes the ${limit}-byte limit (a decompression bomb, or raise --max-decompressed-size)`))
          return
        }
        openHash?.update(chunk)
        done(null, chunk)
      }
    }),
    verify () {
      if (entry.openSize !== null && openSize !== entry.openSize) {
        throw new IngestError(`open-size mismatch: repomd.xml says ${entry.openSize} bytes decompressed, got ${openSize}`)
      }
      if (openHash !== null && entry.openChecksum !== null) {
        const actual = openHash.digest('hex')
        if (actual !== entry.openChecksum.value) throw new IngestError(`open-checksum (${entry.openChecksum.type}) mismatch: repomd.xml says ${entry.openChecksum.value}, the decompressed file differs`)
      }
    }
  }
}

/**
 * The file's bytes, decompressed and metered, as the consumer asks for them (a stream's backpressure).
 * A failure of the file or the decompressor is thrown with its cause named; when the consumer stops
 * (its own error), the streams are closed before it goes on.
 */
async function * decompressedBytes (path: string, compression: Compression, decompressor: Duplex | null, meter: Meter): AsyncGenerator<Buffer> {
  let failedIn: Compression | null = null
  decompressor?.on('error', () => { failedIn ??= compression })
  const out = new PassThrough()
  const done = pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), meter.compressed, decompressor ?? new PassThrough(), meter.open, out)
  done.catch(() => {}) // awaited below; observed now, so a failure while the consumer writes is not unhandled
  let readFailure: unknown = null
  let finished = false
  try {
    for await (const chunk of out) yield chunk as Buffer
    finished = true
  } catch (err) {
    readFailure = err
  } finally {
    if (!finished && readFailure === null) await done.catch(() => {})
  }
  try {
    await done
  } catch (err) {
    throw decompressionFailure(err, failedIn, meter.openSize)
  }
  if (readFailure !== null) throw readFailure
}

/** The pipeline's error as the operator should read it: a decompressor's failure says which format failed. */
function decompressionFailure (err: unknown, failedIn: Compression | null, openSize: number): unknown {
  // The meter's limit (an IngestError) also reaches the decompressor as the pipeline is torn down.
  if (failedIn === null || err instanceof IngestError) return err
  // zlib reads on past the end of a gzip member for another one: junk there fails its header check.
  if (failedIn === 'gzip' && openSize > 0 && /incorrect header check/.test((err as Error).message)) {
    return new IngestError(`gzip data is followed by trailing data that is not gzip (${(err as Error).message}); the file is refused`)
  }
  return new IngestError(`${failedIn} data is corrupt or truncated: ${(err as Error).message}`)
}
