// Feeds: `/feeds/advisories.{rss,atom,json}` with the list's filters and `limit`, short URLs per product
// (`/feeds/<product>.rss`), CVE (`/feeds/cve/<CVE>.rss`) and package (`/feeds/packages/<name>.rss`),
// and `/feeds`, the page that lists them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AdvisoryFilter, AdvisorySummary } from '../../db/advisory-query.js'
import { FilterError, listParams, parseListQuery, RawQuerySchema, refuseUnknown, type RawQuery } from '../advisory-filter.js'
import { NotFoundError } from '../http/errors.js'
import { feedFormats, type FeedFormat } from './feed-links.js'
import { renderFeed, type FeedEntry } from './feed-render.js'
import { FeedItemsCache } from './feed-items.js'
import { severityLabel, typeLabel, urls } from '../format.js'
import { isCveId, notACveId } from '../../domain/cve.js'
import { severityRank } from '../../domain/vocabulary.js'

export const feedLimit = { default: 100, max: 1000 }

// A feed refuses a parameter it does not know (a typo would silently subscribe to everything).
const feedParams = [...listParams.filter((p) => p !== 'page' && p !== 'per_page'), 'limit']

interface Scope { path: string, title: string, fixed: Partial<AdvisoryFilter>, pagePath: string }

// Feeds refuse parameters they do not know with their own 400 (refuseUnknown), after the route is found.
const feedSchema = { tags: ['feeds'], params: Type.Object({ file: Type.String({ description: '<name>.rss, .atom or .json' }) }), querystring: RawQuerySchema }

export const feeds: FastifyPluginAsyncTypebox = async (app) => {
  const items = new FeedItemsCache()
  app.get('/feeds', { schema: { summary: 'The feeds page', tags: ['pages'] } }, async (_request, reply) => reply.page('feeds', () => ({
    title: 'Feeds',
    nav: 'feeds',
    products: app.data.vocabulary().products,
    severities: feedSeverities(app.data.vocabulary().severities),
    limit: feedLimit,
    formats: feedFormats
  })))

  app.get('/feeds/:file', { schema: { ...feedSchema, summary: 'All advisories or one product\'s: RSS, Atom or JSON Feed' } }, async (request, reply) => {
    const { name, format } = splitFile(request.params.file)
    if (name === 'advisories') return sendFeed(request, request.query, reply, format, { path: '/feeds/advisories', title: 'Advisories', fixed: {}, pagePath: '/' }, items)
    const product = app.data.vocabulary().products.find((p) => p.id === name)
    if (product === undefined) throw new NotFoundError('Feed not found', `There is no product "${name}", so no feed for it. The feeds are listed at /feeds.`)
    return sendFeed(request, request.query, reply, format, { path: `/feeds/${encodeURIComponent(name)}`, title: `${product.name} advisories`, fixed: { products: [product.id] }, pagePath: urls.product(product.id) }, items)
  })

  app.get('/feeds/cve/:file', { schema: { ...feedSchema, summary: 'Advisories fixing a CVE: RSS, Atom or JSON Feed' } }, async (request, reply) => {
    const { name, format } = splitFile(request.params.file)
    if (!isCveId(name)) throw new NotFoundError('Feed not found', `${notACveId(name)}.`)
    const cve = name.toUpperCase()
    return sendFeed(request, request.query, reply, format, { path: `/feeds/cve/${cve}`, title: `Advisories fixing ${cve}`, fixed: { cve }, pagePath: urls.cve(cve) }, items)
  })

  // Path-only, so a static copy of the portal has them too (the same as ?severity=<severity>).
  app.get('/feeds/severity/:file', { schema: { ...feedSchema, summary: 'Advisories of one severity: RSS, Atom or JSON Feed' } }, async (request, reply) => {
    const { name, format } = splitFile(request.params.file)
    const severities = feedSeverities(app.data.vocabulary().severities)
    if (!severities.includes(name)) throw new NotFoundError('Feed not found', `There is no severity "${name}"; severity feeds: ${severities.join(', ')}. The feeds are listed at /feeds.`)
    return sendFeed(request, request.query, reply, format, { path: `/feeds/severity/${name}`, title: `${severityLabel(name === 'none' ? null : name)} advisories`, fixed: { severities: [name] }, pagePath: `/?severity=${name}` }, items)
  })

  app.get('/feeds/packages/:file', { schema: { ...feedSchema, summary: 'Advisories for a package: RSS, Atom or JSON Feed' } }, async (request, reply) => {
    const { name, format } = splitFile(request.params.file)
    return sendFeed(request, request.query, reply, format, { path: `/feeds/packages/${encodeURIComponent(name)}`, title: `Advisories for ${name}`, fixed: { package: name }, pagePath: urls.package(name) }, items)
  })
}

/** The severities with a feed of their own: those the data uses, most urgent first, and `none`. */
export function feedSeverities (present: string[]): string[] {
  return [...present].sort((a, b) => severityRank(a) - severityRank(b)).concat('none')
}

function splitFile (file: string): { name: string, format: FeedFormat } {
  const dot = file.lastIndexOf('.')
  const ext = file.slice(dot + 1)
  const format = feedFormats.find((f) => f.ext === ext)
  if (dot <= 0 || format === undefined) throw new NotFoundError('Feed not found', `"${file}" is not a feed: feeds end in .rss, .atom or .json. The feeds are listed at /feeds.`)
  return { name: file.slice(0, dot), format: format.ext }
}

function sendFeed (request: FastifyRequest, query: RawQuery, reply: FastifyReply, format: FeedFormat, scope: Scope, cache: FeedItemsCache): FastifyReply {
  const app = request.server
  for (const key of ['page', 'per_page']) if (query[key] !== undefined) throw new FilterError(`${key}: feeds take limit (1 to ${feedLimit.max}), not ${key}`)
  refuseUnknown(query, feedParams)
  for (const key of Object.keys(scope.fixed)) {
    const param = key === 'products' ? 'product' : key === 'severities' ? 'severity' : key
    if (query[param] !== undefined) throw new FilterError(`${param}: this feed's URL already sets it; use /feeds/advisories.${format}?${param}=... instead`)
  }
  const list = parseListQuery(query, app.data.vocabulary(), { perPage: feedLimit.default, maxPerPage: feedLimit.max, perPageParam: 'limit', withdrawnDefault: false })
  // Feeds are always newest first: a reader shows the latest items, whatever the page's sort.
  const filter: AdvisoryFilter = { ...list.filter, ...scope.fixed, sort: 'issued', order: 'desc' }
  const contentType = `${feedFormats.find((f) => f.ext === format)!.type}; charset=utf-8`
  // One body per feed and filter, whatever order or spelling the parameters came in.
  const listQuery = list.params.toString()
  const canonical = `${scope.path}.${format}${listQuery === '' ? '' : `?${listQuery}`}`
  const base = app.baseUrl(request)
  return reply.versioned({
    scope: 'data',
    contentType,
    maxAge: 300,
    key: `${base} ${canonical}`,
    render: () => {
      const read = (): FeedEntry[] => {
        const { items } = app.lists.list(filter, list.perPage, 0)
        const pks = items.map((a) => a.pk)
        const packages = app.lists.packagesOf(pks, null)
        const descriptions = app.lists.descriptionsOf(pks)
        return items.map((advisory) => ({ advisory, description: descriptions.get(advisory.pk) ?? null, packages: packages.get(advisory.pk) ?? [] }))
      }
      const generation = app.data.stamp().generation
      // Feeds of the default length only: a reader's ?limit=1000 is not worth keeping.
      const entries = list.perPage > feedLimit.default ? read() : cache.feed(`${generation} ${base} ${scope.path}?${listQuery}`, read)
      const pageQuery = new URLSearchParams(list.params)
      pageQuery.delete('limit')
      const qs = pageQuery.toString()
      return renderFeed(format, {
        title: `Lambda Linux Security Center: ${scope.title}${describe(filter, scope.fixed)}`,
        description: `${scope.title}${describe(filter, scope.fixed)}, newest first (up to ${list.perPage}).`,
        pageUrl: pageUrl(app, base, `${scope.pagePath}${qs === '' ? '' : `${scope.pagePath.includes('?') ? '&' : '?'}${qs}`}`),
        selfUrl: `${base}${canonical}`,
        updated: newestDate(entries.map((e) => e.advisory)),
        baseUrl: base
      }, entries, (entry, summary) => cache.itemHtml(`${generation} ${base} ${entry.advisory.pk}`, () => app.render('./partials/feed-item', { ...entry, summary, baseUrl: base })))
    }
  })
}

/** The filter in words for the channel title: ", severity Critical or Important, type Security". */
function describe (filter: AdvisoryFilter, fixed: Partial<AdvisoryFilter>): string {
  const parts: string[] = []
  if (fixed.products === undefined && filter.products.length > 0) parts.push(`product ${filter.products.join(' or ')}`)
  if (filter.severities.length > 0) parts.push(`severity ${filter.severities.map((s) => severityLabel(s === 'none' ? null : s)).join(' or ')}`)
  if (filter.types.length > 0) parts.push(`type ${filter.types.map(typeLabel).join(' or ')}`)
  if (fixed.package === undefined && filter.package !== null) parts.push(`package ${filter.package}`)
  if (fixed.cve === undefined && filter.cve !== null) parts.push(`${filter.cve}`)
  if (filter.q !== null) parts.push('matching a search')
  if (filter.withdrawn === true) parts.push('withdrawn only')
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`
}

/**
 * The channel's date: its newest item's (updated, else issued), so a feed's bytes change only when what it
 * lists changes (a static export rewrites only those). A feed with no dated item says 1970, not "now".
 */
function newestDate (items: AdvisorySummary[]): Date {
  let newest = 0
  for (const a of items) {
    const date = Date.parse(a.updated ?? a.issued ?? '')
    if (date > newest) newest = date
  }
  return new Date(newest)
}

/**
 * The channel's link, the page showing the same list. A static copy has no page for a query string (a
 * severity's list is `/?severity=`): it links the dynamic host's, or the home page without one.
 */
function pageUrl (app: FastifyInstance, base: string, path: string): string {
  const href = app.site.href(path)
  if (href === null) return `${base}/`
  return href.startsWith('/') ? `${base}${href}` : href
}
