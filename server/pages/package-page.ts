// `/packages/<name>`: every advisory that touches a binary or source package of that name, newest first,
// with the fixed versions per product.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { emptyFilter } from '../../db/advisory-query.js'
import { parseListQuery } from '../advisory-filter.js'
import { feedLinks } from '../feeds/feed-links.js'
import { urls } from '../format.js'
import { NotFoundError } from '../http/errors.js'
import { listPageSizes } from './site-contents.js'
import { firstPageByPath, listUrl, PageParam, paginate, PagingQuery } from './pagination.js'

// The same two routes as the CVE page (the page, and its further pages by path): each page states its own.
export const packagePage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/packages/:name', {
    schema: { summary: 'A package page', tags: ['pages'], params: Type.Object({ name: Type.String() }), querystring: PagingQuery }
  }, async (request, reply) => sendPackagePage(request, reply, request.params.name, request.query))

  app.get('/packages/:name/page/:n', {
    schema: { summary: 'A package page, further pages (path-only form)', tags: ['pages'], params: Type.Object({ name: Type.String(), n: PageParam }), querystring: PagingQuery }
  }, async (request, reply) => sendPackagePage(request, reply, request.params.name, { ...request.query, page: request.params.n }))
}

function sendPackagePage (request: FastifyRequest, reply: FastifyReply, name: string, query: Static<typeof PagingQuery>): FastifyReply {
  const app = request.server
  const { page, per_page: perPage } = query
  const list = parseListQuery({ page, per_page: perPage }, app.data.vocabulary(), { perPage: listPageSizes.package, maxPerPage: 500 })
  const canonical = listUrl(urls.package(name), list.params)
  if (firstPageByPath(request.url, list.page)) return reply.redirect(canonical, 301)
  return reply.page('package', () => {
    const offset = (list.page - 1) * list.perPage
    const { total, items } = app.lists.list({ ...emptyFilter, package: name }, list.perPage, offset)
    if (total === 0) throw new NotFoundError('Package not found', `No advisory touches a package called "${name}". Search for it instead:`, name)
    return {
      title: `Package ${name}`,
      description: `Advisories for ${name}`,
      canonical: urls.package(name),
      nav: 'advisories',
      name,
      total,
      items,
      fixed: app.lists.packagesOf(items.map((a) => a.pk), name),
      feeds: feedLinks.package(name),
      pagination: paginate(total, list.page, list.perPage, urls.package(name), list.params)
    }
  }, { canonical })
}
