// Answers remembered by URL. A GET or HEAD that `reply.versioned` answered 200 from a kept body is, while the
// data version it was made under holds, answered again once the request's onRequest hooks have run: no
// validation, no list parameters parsed, no page or API machinery, no header set one by one, none of Fastify's
// send steps; one header object, written as it is (docs/benchmarks.md, "Serving: where the microseconds go").
//
// What the replay rests on, each checked on every request:
// - The handler is a function of the URL (with the scheme and Host when the links are made from them), the
//   data version and the client's encodings: the same URL at the same version gets the same answer. Only 200s
//   from the body cache are remembered; a redirect, an error or a streamed answer never is.
// - Validation reads only the URL, which passed it when it was remembered; a route that validates headers or
//   has preValidation or preHandler hooks is never replayed (cache-plugin.ts; a plugin must not add those hooks
//   to its routes with app.addHook: test/answer-cache.test.ts checks that none does).
// - The request hooks set the same headers as when the answer was remembered (compared name by name, in order):
//   a hook of a route's own plugin that sets or changes a header still has its way, and one that refuses the
//   request (a rate limit, a same-origin check) runs before the replay.
// - The body is still in the body cache (the URL only points at it: memory stays the body cache's).
// A conditional request (If-None-Match, If-Modified-Since) goes the normal way, to its 304 or 200.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DataStamp } from '../../db/summary-store.js'
import { encodingFor, preparedSend, versionOf, type BodyCache, type Prepared, type TaggedEntry, type Version } from './cache.js'
import type { HeaderList } from './header-list.js'

/** `data`: advisories only; `state`: also the repos' ingest state. */
type Scope = 'data' | 'state'

interface Remembered {
  bodyKey: string
  scope: Scope
  /** The version the body was sent under: the answer holds while the data is at it. */
  versionKey: string
  contentType: string
  maxAge: number
  /** The headers the request hooks had set, in order (shared by every URL that saw the same). */
  before: HeaderList
  varyBefore: string | undefined
}

export class AnswerCache {
  private readonly urls = new Map<string, Remembered>()
  private readonly befores = new Map<string, HeaderList>()

  /**
   * `publicUrl`: the links' base when configured; without it they are made from each request's scheme and
   * Host, which are then part of what a URL is remembered by.
   */
  constructor (private readonly bodies: BodyCache<TaggedEntry>, private readonly stamp: () => DataStamp, private readonly publicUrl: string | null, private readonly maxUrls = 10_000) {}

  /** How many URLs are remembered. */
  get size (): number { return this.urls.size }

  private keyOf (request: FastifyRequest): string {
    return this.publicUrl === null ? `${request.protocol}://${request.host} ${request.url}` : request.url
  }

  /** Called as a 200 goes out from a kept body, before the answer's own headers are set on the reply. */
  remember (request: FastifyRequest, reply: FastifyReply, scope: Scope, bodyKey: string, version: Version, send: { contentType: string, maxAge: number }, varyBefore: string | undefined): void {
    const key = this.keyOf(request)
    const known = this.urls.get(key)
    if (known !== undefined && known.bodyKey === bodyKey) return
    const before = this.intern(reply.getHeaders())
    if (before === null) return
    if (known === undefined && this.urls.size >= this.maxUrls) this.urls.delete(this.urls.keys().next().value!)
    this.urls.set(key, { bodyKey, scope, versionKey: version.key, contentType: send.contentType, maxAge: send.maxAge, before, varyBefore })
  }

  /** Answers from a remembered body and returns true, or returns false and leaves the reply untouched. */
  answer (request: FastifyRequest, reply: FastifyReply): boolean {
    const headers = request.headers
    if (headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) return false
    const key = this.keyOf(request)
    const known = this.urls.get(key)
    if (known === undefined) return false
    const version = versionOf(this.stamp(), known.scope)
    const entry = version.key === known.versionKey ? this.bodies.find(known.bodyKey) : undefined
    if (entry === undefined) {
      this.urls.delete(key)
      return false
    }
    if (!sameHeaders(reply.getHeaders(), known.before)) return false
    const prepared = preparedSend(this.bodies, entry, encodingFor(request, entry.body.length), known.varyBefore, version, known)
    this.bodies.counts.hits++
    reply.hijack()
    reply.raw.writeHead(200, wholeHeaders(prepared, known.before))
    reply.raw.end(prepared.bytes)
    return true
  }

  /** One shared list for equal header sets; null for a set with a value that is not a string (never replayed). */
  private intern (headers: Record<string, unknown>): HeaderList | null {
    const pairs: Array<readonly [string, string]> = []
    for (const name in headers) {
      const value = headers[name]
      if (typeof value !== 'string') return null
      pairs.push([name, value])
    }
    const text = pairs.map(([k, v]) => `${k}: ${v}`).join('\n')
    let list = this.befores.get(text)
    if (list === undefined) {
      list = Object.freeze(pairs.map((p) => Object.freeze(p)))
      // A few sets in practice (the hooks set the same headers on every GET); bounded all the same.
      if (this.befores.size >= 100) this.befores.clear()
      this.befores.set(text, list)
    }
    return list
  }
}

/** The reply's headers are exactly `list`: the same names with the same values, in the same order. */
function sameHeaders (headers: Record<string, unknown>, list: HeaderList): boolean {
  let i = 0
  for (const name in headers) {
    const pair = list[i++]
    if (pair === undefined || pair[0] !== name || headers[name] !== pair[1]) return false
  }
  return i === list.length
}

/** The hooks' headers and then the answer's own, as Fastify would have merged them (a name set again keeps its place). */
function wholeHeaders (prepared: Prepared, before: HeaderList): Readonly<Record<string, string>> {
  const whole = prepared.whole ?? (prepared.whole = new Map())
  let headers = whole.get(before)
  if (headers === undefined) {
    const merged: Record<string, string> = {}
    for (const [name, value] of before) merged[name] = value
    for (const [name, value] of prepared.headers) merged[name] = value
    headers = Object.freeze(merged)
    whole.set(before, headers)
  }
  return headers
}
