// The advisory list (`/` and `/<product>`), and the short forms of an advisory URL that lead to its page:
// `/<ID>`, `/<ID>.html` (as on ALAS) and `/advisories/<ID>`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { parseListQuery, RawQuerySchema, type RawQuery } from '../advisory-filter.js'
import { feedLinks } from '../feeds/feed-links.js'
import { urls } from '../format.js'
import { NotFoundError } from '../http/errors.js'
import { listPageSizes } from './site-contents.js'
import { firstPageByPath, listUrl, PageParam, paginate } from './pagination.js'
import { knownTypes, severityOrder, severityRank } from '../../domain/vocabulary.js'
import { weeklyBars } from '../charts/weekly-bars.js'
import { recentActivity } from '../stats/recent.js'

const sorts = [['issued', 'Issued date'], ['updated', 'Updated date'], ['severity', 'Severity'], ['id', 'Advisory ID'], ['relevance', 'Relevance (with a search)']]
const pageSchema = { summary: 'Advisory list page', tags: ['pages'], querystring: RawQuerySchema }

export const advisoryListPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: pageSchema }, async (request, reply) => listPage(request, reply, request.query, null))

  app.get('/:segment', { schema: { ...pageSchema, params: Type.Object({ segment: Type.String() }) } }, async (request, reply) => {
    const product = app.data.vocabulary().products.find((p) => p.id === request.params.segment)
    if (product !== undefined) return listPage(request, reply, request.query, product)
    return bareId(app, reply, request.params.segment.replace(/\.html$/, ''))
  })

  // The path-only form of further pages (what a static copy of the portal holds): /page/2, /<product>/page/2.
  app.get('/page/:n', { schema: { ...pageSchema, params: Type.Object({ n: PageParam }) } }, async (request, reply) => {
    return listPage(request, reply, { ...request.query, page: request.params.n }, null)
  })

  app.get('/:product/page/:n', { schema: { ...pageSchema, params: Type.Object({ product: Type.String(), n: PageParam }) } }, async (request, reply) => {
    const product = app.data.vocabulary().products.find((p) => p.id === request.params.product)
    if (product === undefined) throw new NotFoundError('Product not found', `No product is called "${request.params.product}". Search the advisories instead:`, request.params.product)
    return listPage(request, reply, { ...request.query, page: request.params.n }, product)
  })

  app.get('/advisories/:id', { schema: { summary: 'An advisory by id alone', tags: ['pages'], params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => bareId(app, reply, request.params.id))
}

async function listPage (request: FastifyRequest, reply: FastifyReply, raw: RawQuery, product: { id: string, name: string } | null): Promise<FastifyReply> {
  const app = request.server
  const query = { ...raw }
  if (product !== null) delete query.product
  const vocabulary = app.data.vocabulary()
  const list = parseListQuery(query, vocabulary, { perPage: listPageSizes.list, maxPerPage: 200 })
  if (product !== null) list.filter.products = [product.id]
  const path = product === null ? '/' : urls.product(product.id)
  const canonical = listUrl(path, list.params)
  if (firstPageByPath(request.url, list.page)) return reply.redirect(canonical, 301)
  const offset = (list.page - 1) * list.perPage
  await app.lists.pageReady(list.filter, offset)
  return reply.page('advisory-list', () => {
    const { total, items, more } = app.lists.list(list.filter, list.perPage, offset)
    const heading = product === null ? 'Security advisories' : `${product.name} advisories`
    const severities = [...new Set([...severityOrder.filter((s) => s !== 'high' && s !== 'medium'), ...vocabulary.severities])]
      .sort((a, b) => severityRank(a) - severityRank(b)).concat('none')
    // "What happened lately?" answers the plain first page only: a search or a filter asked another question.
    const recent = list.params.size === 0 ? recentActivity(app, product?.id ?? null) : null
    return {
      title: list.text === '' ? heading : `Search: ${list.text}`,
      description: `${heading} from the Lambda Linux Security Center, newest first.`,
      nav: 'advisories',
      heading,
      intro: product === null ? 'Every advisory of every product, newest first.' : null,
      action: path,
      fixedProduct: product !== null,
      vocabulary,
      severities,
      types: [...new Set([...knownTypes, ...vocabulary.types])],
      sorts,
      filter: list.filter,
      params: list.params,
      // The folded filter panel opens when the query set anything it holds.
      filtersOpen: [...list.params.keys()].some((key) => key !== 'page' && key !== 'per_page'),
      recent,
      recentChart: recent === null ? null : weeklyBars(recent.weeks),
      text: list.text,
      // A search over more matches than it lists says so (db/advisory-query.ts, searchCap; docs/portal.md).
      total: more === true ? `more than ${total}` : total,
      items,
      perPage: list.perPage,
      first: offset + 1,
      last: offset + items.length,
      feeds: feedLinks.list(list.params, product?.id ?? null),
      pagination: paginate(total, list.page, list.perPage, path, list.params)
    }
  }, { canonical })
}

function bareId (app: FastifyInstance, reply: FastifyReply, id: string): FastifyReply {
  const products = app.advisories.productsOf(id)
  if (products.length === 0) {
    throw new NotFoundError('Advisory not found', `No advisory or product is called "${id}". Search for it instead:`, id)
  }
  if (products.length === 1) return reply.redirect(urls.advisory(products[0]!, id), 301)
  const names = app.data.vocabulary().products.filter((p) => products.includes(p.id))
  return reply.code(300).type('text/html; charset=utf-8').send(app.render('choose', { title: `Advisory ${id}`, id, products: names }))
}
