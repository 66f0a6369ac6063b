// Conditional GET for everything rendered from the data: the ETag and Last-Modified come from the data's
// version (not from the bytes), so a 304 costs no rendering; rendered bodies are kept in a bounded LRU.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DataStamp } from '../db/summary-store.js'
import zlib from 'node:zlib'

export interface Version { etag: string, lastModified: Date, lastModifiedText?: string }

// The same stamp object comes back until the data changes: remember what was made from it.
const versions = new WeakMap<DataStamp, Map<string, Version>>()

/** `data`: advisories only; `state`: also the repos' ingest state (the products page). */
export function versionOf (stamp: DataStamp, appVersion: string, scope: 'data' | 'state'): Version {
  let byKey = versions.get(stamp)
  if (byKey === undefined) { byKey = new Map(); versions.set(stamp, byKey) }
  const key = `${appVersion} ${scope}`
  let version = byKey.get(key)
  if (version === undefined) {
    version = makeVersion(stamp, appVersion, scope)
    version.lastModifiedText = version.lastModified.toUTCString()
    byKey.set(key, version)
  }
  return version
}

function makeVersion (stamp: DataStamp, appVersion: string, scope: 'data' | 'state'): Version {
  const changed = Date.parse(stamp.changedAt)
  if (scope === 'data') return { etag: `W/"${appVersion}-${stamp.generation}"`, lastModified: new Date(changed) }
  const lastRun = stamp.lastRunAt === null ? 0 : Date.parse(stamp.lastRunAt)
  return { etag: `W/"${appVersion}-${stamp.generation}.${stamp.stateGeneration}"`, lastModified: new Date(Math.max(changed, lastRun)) }
}

/** True when the client's copy is current (RFC 9110: If-None-Match wins over If-Modified-Since). */
export function isFresh (request: FastifyRequest, version: Version): boolean {
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    const wanted = version.etag.replace(/^W\//, '')
    return ifNoneMatch.split(',').some((tag) => { const t = tag.trim(); return t === '*' || t.replace(/^W\//, '') === wanted })
  }
  const ifModifiedSince = request.headers['if-modified-since']
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince)
    return !Number.isNaN(since) && Math.floor(version.lastModified.getTime() / 1000) * 1000 <= since
  }
  return false
}

/** A rendered response: its bytes, and compressed forms made the first time a client asks for them. */
export interface Entry { body: Buffer, gzip?: Buffer, br?: Buffer }

export class BodyCache {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0

  constructor (private readonly maxEntries = 2000, private readonly maxBytes = 128 * 1024 * 1024) {}

  get (key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry !== undefined) { this.entries.delete(key); this.entries.set(key, entry) }
    return entry
  }

  set (key: string, entry: Entry): void {
    const size = entrySize(entry)
    if (size > this.maxBytes / 8) return
    const old = this.entries.get(key)
    if (old !== undefined) { this.entries.delete(key); this.bytes -= entrySize(old) }
    this.entries.set(key, entry)
    this.bytes += size
    this.evict()
  }

  /** Accounts for a compressed form added to an entry already stored. */
  grew (by: number): void {
    this.bytes += by
    this.evict()
  }

  private evict (): void {
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= entrySize(v)
    }
  }
}

const entrySize = (e: Entry): number => e.body.length + (e.gzip?.length ?? 0) + (e.br?.length ?? 0)

export interface CachedSend {
  version: Version
  contentType: string
  maxAge: number
  render: () => string
  /** What besides the version and the URL the body depends on (for feeds: the base URL of their links). */
  vary?: string
}

/** br or gzip when the client accepts it (q > 0), else identity. */
export function preferredEncoding (acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  if (acceptEncoding === undefined) return null
  const accepted = new Set<string>()
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name!.trim())
  }
  if (accepted.has('br')) return 'br'
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip'
  return null
}

// Compressed once per rendered body, so a middle setting costs little and serves every later request.
const brotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 6 } }
const compressible = 1024

/**
 * Sends a versioned response: 304 when the client is current, else the cached or freshly rendered bytes,
 * compressed as the client prefers (kept per entry, so nothing is compressed twice).
 */
export function sendVersioned (cache: BodyCache, request: FastifyRequest, reply: FastifyReply, options: CachedSend): FastifyReply {
  const { version } = options
  reply.header('etag', version.etag)
  reply.header('last-modified', version.lastModifiedText ?? version.lastModified.toUTCString())
  reply.header('cache-control', `public, max-age=${options.maxAge}`)
  if (isFresh(request, version)) return reply.code(304).send()
  const key = `${version.etag} ${options.vary ?? ''} ${request.url}`
  let entry = cache.get(key)
  if (entry === undefined) {
    entry = { body: Buffer.from(options.render()) }
    cache.set(key, entry)
  }
  return sendEntry(cache, request, reply, entry, options.contentType)
}

/** Sends a cached entry in the encoding the client prefers, compressing it the first time it is asked for. */
export function sendEntry (cache: BodyCache, request: FastifyRequest, reply: FastifyReply, entry: Entry, contentType: string): FastifyReply {
  reply.type(contentType)
  reply.header('vary', 'accept-encoding')
  const encoding = entry.body.length >= compressible ? preferredEncoding(request.headers['accept-encoding']) : null
  if (encoding === null) return reply.send(entry.body)
  let compressed = entry[encoding]
  if (compressed === undefined) {
    compressed = encoding === 'br' ? zlib.brotliCompressSync(entry.body, brotliOptions) : zlib.gzipSync(entry.body)
    entry[encoding] = compressed
    cache.grew(compressed.length)
  }
  return reply.header('content-encoding', encoding).send(compressed)
}
