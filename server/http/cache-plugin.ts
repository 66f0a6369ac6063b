// The HTTP-cache plugin: owns the validators (ETag: the MD5 of the body; Last-Modified: the data stamp's change
// time), the bounded cache of rendered bytes and their tags, 304s and the one compressor (compress.ts). Routes
// say what a response depends on and how to render it; `reply.versioned` does the rest.
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { DataStamp } from '../../db/summary-store.js'
import { BodyCache, sendVersioned, versionOf, type TaggedEntry } from './cache.js'
import { compressOnSend } from './compress.js'

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
  app.decorate('baseUrl', (request: FastifyRequest): string => {
    if (publicUrl !== null) return publicUrl
    try {
      return new URL(`${request.protocol}://${request.host}`).origin // drops a default port, refuses junk
    } catch {
      return `${request.protocol}://localhost`
    }
  })

  app.decorateReply('versioned', function (this: FastifyReply, response: VersionedResponse): FastifyReply {
    const { data } = this.server
    return sendVersioned(cache, this.request, this, {
      version: versionOf(data.stamp(), response.scope),
      contentType: response.contentType,
      maxAge: response.maxAge,
      key: response.key,
      // The body and the validators sent with it come from one snapshot, even if an ingest committed since.
      render: () => data.read((stamp) => ({ version: versionOf(stamp, response.scope), body: response.render(stamp) }))
    })
  })

  app.decorateReply('versionedJson', function (this: FastifyReply, scope: Scope, build: () => unknown): FastifyReply {
    // The API refuses parameters it does not know (schemas), so its URL is its identity.
    return this.versioned({ scope, contentType: 'application/json; charset=utf-8', maxAge: 60, key: `${app.baseUrl(this.request)} ${this.request.url}`, render: () => this.serialize(build()) as string })
  })

  app.addHook('onSend', compressOnSend)
}, { name: 'http-cache', dependencies: ['database'] })
