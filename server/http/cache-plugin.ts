// The HTTP-cache plugin: owns the validators (ETag: the MD5 of the body; Last-Modified: the data stamp's change
// time), the bounded cache of rendered bytes and their tags, 304s and the one compressor (compress.ts). Routes
// say what a response depends on and how to render it; `reply.versioned` does the rest, and remembers the URL:
// the next GET of it is answered before the route's handler runs (answer-cache.ts).
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { DataStamp } from '../../db/summary-store.js'
import { AnswerCache } from './answer-cache.js'
import { BodyCache, sendVersioned, versionOf, type TaggedEntry } from './cache.js'
import { compressOnSend } from './compress.js'
import { answerFirst, leftOutByDirectReplay } from './direct-replay.js'

/** `data`: advisories only; `state`: also the repos' ingest state (the products page and API). */
export type Scope = 'data' | 'state'

export interface VersionedResponse {
  scope: Scope
  contentType: string
  maxAge: number
  /**
   * What identifies the body besides the version: the canonical path and parameters (never the raw URL, so
   * junk parameters cannot fill the cache) and, for feeds and the API, the base URL of their links.
   */
  key: string
  /** Runs inside one read snapshot (the stamp is that snapshot's). */
  render: (stamp: DataStamp) => string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Rendered bodies and their tags, per data version and key. */
    bodyCache: BodyCache<TaggedEntry>
    /** Changes with the templates, styles and program (not part of any validator: those hash the bytes). */
    appVersion: string
    /** Scheme, host and path prefix for absolute URLs: the configured public URL, or the request's own. */
    baseUrl: (request: FastifyRequest) => string
    /** GET and HEAD answers remembered by URL, replayed before their route's handler. */
    answerCache: AnswerCache
  }
  interface FastifyContextConfig {
    /** Set on the routes whose answers are replayed by URL (below); only theirs are remembered. */
    replayed?: boolean
  }
  interface FastifyReply {
    /** 304 when the client is current; else the cached or freshly rendered body, compressed as it prefers. */
    versioned: (response: VersionedResponse) => FastifyReply
    /** An API GET: versioned like the pages, serialized by the route's response schema, keyed by its URL. */
    versionedJson: (scope: Scope, build: () => unknown) => FastifyReply
  }
}

export interface CacheOptions { appVersion: string, publicUrl: string | null }

export default fp<CacheOptions>(async (app, { appVersion, publicUrl }) => {
  const cache = new BodyCache<TaggedEntry>()
  app.decorate('bodyCache', cache)
  app.decorate('appVersion', appVersion)
  // The origin of each scheme and Host seen, so a cached API answer (keyed by it) parses no URL; a few hundred
  // at most (a client can send any Host), dropped together when full.
  const origins = new Map<string, string>()
  app.decorate('baseUrl', (request: FastifyRequest): string => {
    if (publicUrl !== null) return publicUrl
    const given = `${request.protocol}://${request.host}`
    let origin = origins.get(given)
    if (origin === undefined) {
      try {
        origin = new URL(given).origin // drops a default port, refuses junk
      } catch {
        origin = `${request.protocol}://localhost`
      }
      if (origins.size >= 500) origins.clear()
      origins.set(given, origin)
    }
    return origin
  })

  // Read here once: through `this.server`, each request would look it up along the plugin instances' prototypes.
  const data = app.data
  const answers = new AnswerCache(cache, () => data.stamp(), publicUrl)
  app.decorate('answerCache', answers)
  app.decorateReply('versioned', function (this: FastifyReply, response: VersionedResponse): FastifyReply {
    const request = this.request
    return sendVersioned(cache, request, this, {
      version: versionOf(data.stamp(), response.scope),
      contentType: response.contentType,
      maxAge: response.maxAge,
      key: response.key,
      // The body and the validators sent with it come from one snapshot, even if an ingest committed since.
      render: () => data.read((stamp) => ({ version: versionOf(stamp, response.scope), body: response.render(stamp) })),
      remember: (bodyKey, version, varyBefore) => {
        if (request.routeOptions.config.replayed === true) answers.remember(request, this, response.scope, bodyKey, version, response, varyBefore)
      }
    })
  })

  // Every GET and HEAD route first asks the answers remembered by URL (answer-cache.ts), once its onRequest hooks
  // have run (a route's own hooks may refuse a request or set headers): its validation and handler run only
  // when no answer holds. Skipping validation is sound because a remembered URL passed it and validation reads
  // nothing but the URL; a route that validates headers or has hooks of its own between parsing and its handler
  // is never replayed. Every route is added after this plugin (server/app.ts registers it second).
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.includes('GET') && !methods.includes('HEAD')) return
    if (route.schema?.headers !== undefined || route.preValidation !== undefined || route.preHandler !== undefined) return
    route.config = { ...route.config, replayed: true }
    // The direct replay (direct-replay.ts) is this replay, earlier.
    const replay = leftOutByDirectReplay('replay', (request: FastifyRequest, reply: FastifyReply, _payload: unknown, done: () => void): void => {
      if (!answers.answer(request, reply)) done()
    })
    route.preParsing = route.preParsing === undefined ? [replay] : [...(Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing]), replay]
  })

  // GETs of the routes whose hooks the replay may leave out are answered before Fastify sees them (direct-replay.ts).
  let direct: { close: () => void } | null = null
  app.addHook('onReady', async () => { direct = answerFirst(app.server, (req, res) => answers.answerRaw(req, res)) })
  app.addHook('preClose', async () => { direct?.close() })

  app.decorateReply('versionedJson', function (this: FastifyReply, scope: Scope, build: () => unknown): FastifyReply {
    // The API refuses parameters it does not know (schemas), so its URL is its identity.
    return this.versioned({ scope, contentType: 'application/json; charset=utf-8', maxAge: 60, key: `${app.baseUrl(this.request)} ${this.request.url}`, render: () => this.serialize(build()) as string })
  })

  app.addHook('onSend', compressOnSend)
}, { name: 'http-cache', dependencies: ['database'] })
