// Conditional GET for everything rendered from the data: the ETag and Last-Modified come from the data's
// version (not from the bytes), so a 304 costs no rendering; rendered bodies are kept in a bounded LRU.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DataStamp } from '../db/summary-store.js'

export interface Version { etag: string, lastModified: Date }

/** `data`: advisories only; `state`: also the repos' ingest state (the products page). */
export function versionOf (stamp: DataStamp, appVersion: string, scope: 'data' | 'state'): Version {
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

export class BodyCache {
  private readonly entries = new Map<string, string>()
  private bytes = 0

  constructor (private readonly maxEntries = 2000, private readonly maxBytes = 64 * 1024 * 1024) {}

  get (key: string): string | undefined {
    const body = this.entries.get(key)
    if (body !== undefined) { this.entries.delete(key); this.entries.set(key, body) }
    return body
  }

  set (key: string, body: string): void {
    if (body.length > this.maxBytes / 8) return
    const old = this.entries.get(key)
    if (old !== undefined) { this.entries.delete(key); this.bytes -= old.length }
    this.entries.set(key, body)
    this.bytes += body.length
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= v.length
    }
  }
}

export interface CachedSend {
  version: Version
  contentType: string
  maxAge: number
  render: () => string
  /** What besides the version and the URL the body depends on (for feeds: the base URL of their links). */
  vary?: string
}

/** Sends a versioned response: 304 when the client is current, else the cached or freshly rendered body. */
export function sendVersioned (cache: BodyCache, request: FastifyRequest, reply: FastifyReply, options: CachedSend): FastifyReply {
  const { version } = options
  reply.header('etag', version.etag)
  reply.header('last-modified', version.lastModified.toUTCString())
  reply.header('cache-control', `public, max-age=${options.maxAge}`)
  if (isFresh(request, version)) return reply.code(304).send()
  const key = `${version.etag} ${options.vary ?? ''} ${request.url}`
  let body = cache.get(key)
  if (body === undefined) {
    body = options.render()
    cache.set(key, body)
  }
  return reply.type(options.contentType).send(body)
}
