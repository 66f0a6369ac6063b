// Conditional GET for everything rendered from the data: the ETag and Last-Modified come from the data's
// version (not from the bytes), so a 304 costs no rendering; rendered bodies are kept in a bounded LRU.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DataStamp } from '../../db/summary-store.js'
import { compressBytes, compressThreshold, preferredEncoding, varyOnEncoding } from './compress.js'

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
  /** Lookups that found a body or not, and 304s answered from the version alone: plain numbers for /metrics. */
  readonly counts = { hits: 0, misses: 0, notModified: 0 }

  constructor (private readonly maxEntries = 2000, private readonly maxBytes = 128 * 1024 * 1024) {}

  /** How many bodies are kept. */
  get size (): number { return this.entries.size }

  get (key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) { this.counts.misses++; return undefined }
    this.counts.hits++
    this.entries.delete(key)
    this.entries.set(key, entry)
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
  /** The version of the data as last seen: answers 304 and finds a body rendered before. */
  version: Version
  contentType: string
  maxAge: number
  /** Renders inside one read snapshot and returns the version of that snapshot with the body. */
  render: () => { version: Version, body: string }
  /**
   * What identifies the body besides the version: the canonical path and parameters (never the raw URL, so
   * junk parameters cannot fill the cache) and, for feeds and the API, the base URL of their links.
   */
  key: string
}

/**
 * Sends a versioned response: 304 when the client is current, else the cached or freshly rendered bytes,
 * compressed as the client prefers (kept per entry, so nothing is compressed twice).
 */
export function sendVersioned (cache: BodyCache, request: FastifyRequest, reply: FastifyReply, options: CachedSend): FastifyReply {
  let { version } = options
  if (isFresh(request, version)) {
    cache.counts.notModified++
    return sendHeaders(reply, version, options.maxAge).code(304).send()
  }
  let entry = cache.get(`${version.etag} ${options.key}`)
  if (entry === undefined) {
    // The body and the validators sent with it come from the same snapshot, even if an ingest committed
    // since the version above was read.
    const rendered = options.render()
    version = rendered.version
    entry = { body: Buffer.from(rendered.body) }
    cache.set(`${version.etag} ${options.key}`, entry)
  }
  return sendEntry(cache, request, sendHeaders(reply, version, options.maxAge), entry, options.contentType)
}

function sendHeaders (reply: FastifyReply, version: Version, maxAge: number): FastifyReply {
  reply.header('etag', version.etag)
  reply.header('last-modified', version.lastModifiedText ?? version.lastModified.toUTCString())
  return reply.header('cache-control', `public, max-age=${maxAge}`)
}

/** Sends a cached entry in the encoding the client prefers, compressing it the first time it is asked for. */
export function sendEntry (cache: BodyCache, request: FastifyRequest, reply: FastifyReply, entry: Entry, contentType: string): FastifyReply {
  reply.type(contentType)
  varyOnEncoding(reply)
  const encoding = entry.body.length >= compressThreshold ? preferredEncoding(request.headers['accept-encoding']) : null
  if (encoding === null) return reply.send(entry.body)
  let compressed = entry[encoding]
  if (compressed === undefined) {
    compressed = compressBytes(entry.body, encoding)
    entry[encoding] = compressed
    cache.grew(compressed.length)
  }
  return reply.header('content-encoding', encoding).send(compressed)
}
