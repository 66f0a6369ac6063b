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
import { DataVersion } from './data-version.js'
import { BodyCache, sendVersioned, versionOf } from './http-cache.js'
import { createViews, type Views } from './views.js'

export class Portal {
  readonly query: AdvisoryQuery
  readonly reader: AdvisoryReader
  readonly summary: SummaryStore
  readonly views: Views
  readonly cache = new BodyCache()
  /** Changes whenever templates, styles or the program change, so clients never keep a stale page. */
  readonly appVersion: string
  readonly cssHref: string
  private vocabularyCache: { generation: number, value: Vocabulary } | null = null

  private readonly version: DataVersion

  constructor (readonly db: Db, dbPath: string, readonly publicUrl: string | null = null) {
    this.query = new AdvisoryQuery(db)
    this.reader = new AdvisoryReader(db)
    this.summary = new SummaryStore(db)
    this.version = new DataVersion(dbPath, this.summary)
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

  /** The data's version stamps; read from the database only when an ingest has written since. */
  stamp (): DataStamp {
    return this.version.current()
  }

  vocabulary (): Vocabulary {
    const generation = this.stamp().generation
    if (this.vocabularyCache?.generation !== generation) this.vocabularyCache = { generation, value: this.summary.vocabulary() }
    return this.vocabularyCache.value
  }

  render (name: string, data: Record<string, unknown>): string {
    return this.views.render(name, { fmt: format, cssHref: this.cssHref, feeds: [], ...data })
  }

  /** An HTML page that depends only on the data (scope data) or also on ingest state (scope state). */
  sendPage (request: FastifyRequest, reply: FastifyReply, scope: 'data' | 'state', render: () => string): FastifyReply {
    const version = versionOf(this.stamp(), this.appVersion, scope)
    return sendVersioned(this.cache, request, reply, { version, contentType: 'text/html; charset=utf-8', maxAge: 60, render })
  }

  /** An API GET: versioned like the pages, serialized by the route's response schema, keyed by base URL. */
  sendJson (request: FastifyRequest, reply: FastifyReply, scope: 'data' | 'state', build: () => unknown): FastifyReply {
    const version = versionOf(this.stamp(), this.appVersion, scope)
    return sendVersioned(this.cache, request, reply, {
      version, contentType: 'application/json; charset=utf-8', maxAge: 60, vary: this.baseUrl(request), render: () => reply.serialize(build()) as string
    })
  }

  /** A feed: versioned like the pages, and keyed by the base URL its absolute links use. */
  sendFeed (request: FastifyRequest, reply: FastifyReply, contentType: string, render: (updated: Date) => string): FastifyReply {
    const stamp = this.stamp()
    const version = versionOf(stamp, this.appVersion, 'data')
    return sendVersioned(this.cache, request, reply, { version, contentType, maxAge: 300, vary: this.baseUrl(request), render: () => render(new Date(stamp.changedAt)) })
  }
}
