// The view plugin: eta templates from views/, compiled once at start (`<%= %>` escapes everything it
// prints). `app.render` fills a template; `reply.page` sends a page through the HTTP cache, rendering it
// only when no current copy is kept.
import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { join } from 'node:path'
import { projectRoot } from '../../db/paths.js'
import type { Scope } from '../http/cache-plugin.js'
import { format } from '../format.js'
import { siteLinks, type SiteLinks } from '../pages/site-links.js'

export interface PageOptions {
  /** `data` (default) or `state` for a page that also shows ingest state. */
  scope?: Scope
  /** The path and normalised parameters the page depends on (default: the path alone, parameters ignored). */
  canonical?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    render: (view: string, data: Record<string, unknown>) => string
    /** How pages and feeds link what only a running server answers (server/pages/site-links.ts). */
    site: SiteLinks
  }
  interface FastifyReply {
    /** An HTML page from a view and the data `read` returns (read inside one snapshot, only on a cache miss). */
    page: (view: string, read: () => Record<string, unknown>, options?: PageOptions) => FastifyReply
  }
}

/** `site`: how pages link to what only a running server answers (default: the live server's own pages). */
export interface ViewOptions { cssHref: string, site?: SiteLinks }

export default fp<ViewOptions>(async (app, { cssHref, site = siteLinks() }) => {
  const eta = new Eta({ views: join(projectRoot, 'views'), cache: true, autoEscape: true })
  const render = (view: string, data: Record<string, unknown>): string => eta.render(view, { fmt: format, cssHref, site, feeds: [], ...data })
  app.decorate('render', render)
  app.decorate('site', site)
  app.decorateReply('page', function (this: FastifyReply, view: string, read: () => Record<string, unknown>, options: PageOptions = {}): FastifyReply {
    return this.versioned({
      scope: options.scope ?? 'data',
      contentType: 'text/html; charset=utf-8',
      maxAge: 60,
      key: options.canonical ?? pathOf(this.request),
      render: () => render(view, read())
    })
  })
}, { name: 'views', dependencies: ['http-cache'] })

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
