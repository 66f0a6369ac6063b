// What every page route needs: the read stores, the views, the response cache and the current vocabulary.
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AdvisoryQuery } from '../db/advisory-query.js'
import { AdvisoryReader } from '../db/advisory-read.js'
import type { Db } from '../db/open.js'
import { projectRoot } from '../db/paths.js'
import { SummaryStore, type DataStamp, type Vocabulary } from '../db/summary-store.js'
import { format } from './format.js'
import { DataVersion } from './http/data-version.js'
import { BodyCache, sendVersioned, versionOf } from './http/cache.js'
import { MatcherIndex } from './matching/matcher-index.js'
import { createViews, type Views } from './views.js'

export class Portal {
  readonly query: AdvisoryQuery
  readonly reader: AdvisoryReader
  readonly summary: SummaryStore
  readonly views: Views
  readonly cache = new BodyCache()
  /** Per product, the fixed packages the query and the "Check a server" page match installed packages with. */
  readonly matchers: MatcherIndex
  /** Changes whenever templates, styles or the program change, so clients never keep a stale page. */
  readonly appVersion: string
  readonly cssHref: string
  private vocabularyCache: { generation: number, value: Vocabulary } | null = null

  private readonly version: DataVersion
  /** The stamp of the snapshot being read, while one is. */
  private active: DataStamp | null = null
  private readonly readTransaction: <T>(read: () => T) => T

  constructor (readonly db: Db, dbPath: string, readonly publicUrl: string | null = null) {
    this.query = new AdvisoryQuery(db)
    this.reader = new AdvisoryReader(db)
    this.summary = new SummaryStore(db)
    this.version = new DataVersion(dbPath, this.summary)
    this.matchers = new MatcherIndex(this.query, this.summary, (read) => this.snapshot(read))
    // BEGIN takes the snapshot at the first read inside it; COMMIT (or ROLLBACK on a throw) ends it.
    this.readTransaction = <T>(read: () => T): T => db.transaction(read)()
    this.views = createViews()
    const css = readFileSync(join(projectRoot, 'public', 'style.css'))
    const cssHash = createHash('sha256').update(css).digest('hex').slice(0, 12)
    this.cssHref = `/static/style.css?v=${cssHash}`
    const hash = createHash('sha256').update(css)
    const viewsDir = join(projectRoot, 'views')
    for (const file of readdirSync(viewsDir, { recursive: true }).map(String).sort()) {
      if (file.endsWith('.eta')) hash.update(file).update(readFileSync(join(viewsDir, file)))
    }
    hash.update(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version as string)
    this.appVersion = hash.digest('hex').slice(0, 10)
  }

  /** Scheme, host and path prefix for absolute URLs: the configured public URL, or the request's own. */
  baseUrl (request: FastifyRequest): string {
    if (this.publicUrl !== null) return this.publicUrl
    try {
      return new URL(`${request.protocol}://${request.host}`).origin // drops a default port, refuses junk
    } catch {
      return `${request.protocol}://localhost`
    }
  }

  /** The data's version stamps: those of the snapshot being rendered, else read again only after an ingest wrote. */
  stamp (): DataStamp {
    return this.active ?? this.version.current()
  }

  /**
   * Runs `read` inside one read transaction, with the stamp read in it: everything it reads, and the version
   * (ETag) derived from the stamp, come from one snapshot even while an ingest commits.
   */
  snapshot<T> (read: (stamp: DataStamp) => T): T {
    if (this.active !== null) return read(this.active)
    return this.readTransaction(() => {
      this.active = this.summary.stamp()
      try { return read(this.active) } finally { this.active = null }
    })
  }

  vocabulary (): Vocabulary {
    const generation = this.stamp().generation
    if (this.vocabularyCache?.generation !== generation) {
      const value = this.snapshot((stamp) => ({ generation: stamp.generation, value: this.summary.vocabulary() }))
      if (value.generation !== generation) return value.value
      this.vocabularyCache = value
    }
    return this.vocabularyCache.value
  }

  render (name: string, data: Record<string, unknown>): string {
    return this.views.render(name, { fmt: format, cssHref: this.cssHref, feeds: [], ...data })
  }

  /**
   * An HTML page that depends only on the data (scope data) or also on ingest state (scope state). `canonical`
   * is the path and normalised parameters the page depends on (default: the path alone, parameters ignored).
   */
  sendPage (request: FastifyRequest, reply: FastifyReply, scope: 'data' | 'state', render: () => string, canonical = pathOf(request)): FastifyReply {
    return this.send(request, reply, { scope, contentType: 'text/html; charset=utf-8', maxAge: 60, key: canonical, render: () => render() })
  }

  /** An API GET: versioned like the pages, serialized by the route's response schema, keyed by base URL. */
  sendJson (request: FastifyRequest, reply: FastifyReply, scope: 'data' | 'state', build: () => unknown): FastifyReply {
    // The API refuses parameters it does not know (schemas), so its URL is its identity.
    return this.send(request, reply, { scope, contentType: 'application/json; charset=utf-8', maxAge: 60, key: `${this.baseUrl(request)} ${request.url}`, render: () => reply.serialize(build()) as string })
  }

  /** A feed: versioned like the pages, keyed by its canonical URL and the base URL its absolute links use. */
  sendFeed (request: FastifyRequest, reply: FastifyReply, contentType: string, canonical: string, render: (updated: Date) => string): FastifyReply {
    return this.send(request, reply, { scope: 'data', contentType, maxAge: 300, key: `${this.baseUrl(request)} ${canonical}`, render: (stamp) => render(new Date(stamp.changedAt)) })
  }

  private send (request: FastifyRequest, reply: FastifyReply, options: { scope: 'data' | 'state', contentType: string, maxAge: number, key: string, render: (stamp: DataStamp) => string }): FastifyReply {
    const { scope } = options
    return sendVersioned(this.cache, request, reply, {
      version: versionOf(this.stamp(), this.appVersion, scope),
      contentType: options.contentType,
      maxAge: options.maxAge,
      key: options.key,
      render: () => this.snapshot((stamp) => ({ version: versionOf(stamp, this.appVersion, scope), body: options.render(stamp) }))
    })
  }
}

/** The request's path without its query string. */
export function pathOf (request: FastifyRequest): string {
  const q = request.url.indexOf('?')
  return q === -1 ? request.url : request.url.slice(0, q)
}

/** The path and the normalised parameters a page depends on: its identity in the body cache. */
export function canonicalOf (request: FastifyRequest, params: URLSearchParams): string {
  const query = params.toString()
  return query === '' ? pathOf(request) : `${pathOf(request)}?${query}`
}
