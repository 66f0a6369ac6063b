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
// A GET of a route whose hooks the replay may leave out is answered even before Fastify sees it (direct-replay.ts).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DataStamp } from '../../db/summary-store.js'
import { encodingFor, preparedSend, versionOf, type BodyCache, type Prepared, type TaggedEntry, type Version } from './cache.js'
import { directlyReplayable } from './direct-replay.js'
import type { HeaderList } from './header-list.js'
import { readHeaders } from './security-headers.js'

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
  /** The key of a GET answered before Fastify sees it (direct-replay.ts), with its route's metrics; null: never. */
  direct: { key: string, count: ((method: string, status: number, seconds: number) => void) | undefined } | null
}

/** What the security and CORS hook sets on every GET: a remembered answer whose hooks set exactly this may go direct. */
const getHeadersText = Object.entries(readHeaders).map(([k, v]) => `${k}: ${v}`).join('\n')

export class AnswerCache {
  private readonly urls = new Map<string, Remembered>()
  /** The same answers by the raw request's key, for those answered before Fastify sees the request. */
  private readonly raw = new Map<string, Remembered>()
  private readonly befores = new Map<string, HeaderList>()
  private readonly beforeTexts = new WeakMap<HeaderList, string>()
  /** GETs answered before Fastify saw them. */
  direct = 0

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

  /**
   * The key of a raw request: its URL, and without a public URL every header its scheme and host are read from
   * (equal headers give the Fastify request the same scheme and host, whatever the proxy settings).
   */
  private rawKeyOf (req: IncomingMessage): string {
    const h = req.headers
    return this.publicUrl === null ? `${req.url ?? ''}\n${h.host ?? ''}\n${String(h['x-forwarded-proto'])}\n${String(h['x-forwarded-host'])}\n${String(h[':authority'])}` : req.url ?? ''
  }

  private forget (key: string, known: Remembered): void {
    this.urls.delete(key)
    if (known.direct !== null && this.raw.get(known.direct.key) === known) this.raw.delete(known.direct.key)
  }

  /** Called as a 200 goes out from a kept body, before the answer's own headers are set on the reply. */
  remember (request: FastifyRequest, reply: FastifyReply, scope: Scope, bodyKey: string, version: Version, send: { contentType: string, maxAge: number }, varyBefore: string | undefined): void {
    const key = this.keyOf(request)
    const known = this.urls.get(key)
    if (known !== undefined && known.bodyKey === bodyKey) return
    const before = this.intern(reply.getHeaders())
    if (before === null) return
    if (known !== undefined) this.forget(key, known)
    else if (this.urls.size >= this.maxUrls) {
      const oldest = this.urls.keys().next().value!
      this.forget(oldest, this.urls.get(oldest)!)
    }
    const direct = request.method === 'GET' && this.beforeTexts.get(before) === getHeadersText && directlyReplayable(request)
      ? { key: this.rawKeyOf(request.raw), count: request.routeOptions.config.countAnswer }
      : null
    const remembered: Remembered = { bodyKey, scope, versionKey: version.key, contentType: send.contentType, maxAge: send.maxAge, before, varyBefore, direct }
    this.urls.set(key, remembered)
    if (direct !== null) this.raw.set(direct.key, remembered)
  }

  /**
   * A GET answered from a remembered body before Fastify sees it (direct-replay.ts): true when answered, false
   * (nothing written) when Fastify should take it. The same answer the replay below would send.
   */
  answerRaw (req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET') return false
    const h = req.headers
    // A conditional request gets its 304 from Fastify; a GET with a body is Fastify's to read or refuse.
    if (h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined || h['content-length'] !== undefined || h['transfer-encoding'] !== undefined) return false
    const known = this.raw.get(this.rawKeyOf(req))
    if (known === undefined) return false
    const started = performance.now()
    const version = versionOf(this.stamp(), known.scope)
    const entry = version.key === known.versionKey ? this.bodies.find(known.bodyKey) : undefined
    // Out of date: Fastify's path answers it afresh and remembers the new answer.
    if (entry === undefined) return false
    const prepared = preparedSend(this.bodies, entry, encodingFor(req, entry.body.length), known.varyBefore, version, known)
    this.bodies.counts.hits++
    this.direct++
    res.writeHead(200, wholeHeaders(prepared, known.before))
    res.end(prepared.bytes)
    known.direct!.count?.('GET', 200, (performance.now() - started) / 1000)
    return true
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
      this.forget(key, known)
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
      this.beforeTexts.set(list, text)
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
