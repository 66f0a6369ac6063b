// The advisory list (`/` and `/<product>`), and the short forms of an advisory URL that lead to its page:
// `/<ID>`, `/<ID>.html` (as on ALAS) and `/advisories/<ID>`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseListQuery, type RawQuery } from '../advisory-filter.js'
import { NotFoundError } from '../http/errors.js'
import { paginate } from './pagination.js'
import { canonicalOf, type Portal } from '../portal.js'
import { feedLinks } from '../feeds/feed-links.js'
import { urls } from '../format.js'
import { knownTypes, severityOrder, severityRank } from '../../domain/vocabulary.js'

const sorts = [['issued', 'Issued date'], ['updated', 'Updated date'], ['severity', 'Severity'], ['id', 'Advisory ID'], ['relevance', 'Relevance (with a search)']]

export function registerAdvisoryList (app: FastifyInstance, portal: Portal): void {
  app.get('/', async (request, reply) => listPage(portal, request, reply, null))

  app.get<{ Params: { segment: string } }>('/:segment', async (request, reply) => {
    const product = portal.vocabulary().products.find((p) => p.id === request.params.segment)
    if (product !== undefined) return listPage(portal, request, reply, product)
    return bareId(portal, reply, request.params.segment.replace(/\.html$/, ''))
  })

  app.get<{ Params: { id: string } }>('/advisories/:id', async (request, reply) => bareId(portal, reply, request.params.id))
}

function listPage (portal: Portal, request: FastifyRequest, reply: FastifyReply, product: { id: string, name: string } | null): FastifyReply {
  const query = { ...(request.query as RawQuery) }
  if (product !== null) delete query.product
  const vocabulary = portal.vocabulary()
  const list = parseListQuery(query, vocabulary, { perPage: 50, maxPerPage: 200 })
  if (product !== null) list.filter.products = [product.id]
  const path = product === null ? '/' : urls.product(product.id)
  return portal.sendPage(request, reply, 'data', () => {
    const offset = (list.page - 1) * list.perPage
    const { total, items } = portal.query.list(list.filter, list.perPage, offset)
    const heading = product === null ? 'Security advisories' : `${product.name} advisories`
    const severities = [...new Set([...severityOrder.filter((s) => s !== 'high' && s !== 'medium'), ...vocabulary.severities])]
      .sort((a, b) => severityRank(a) - severityRank(b)).concat('none')
    return portal.render('advisory-list', {
      title: list.text === '' ? heading : `Search: ${list.text}`,
      description: `${heading} from the Lambda Linux Security Center, newest first.`,
      nav: 'advisories',
      heading,
      intro: product === null ? 'Every advisory of every product, newest first. Filters combine; every view has a shareable URL.' : null,
      action: path,
      fixedProduct: product !== null,
      vocabulary,
      severities,
      types: [...new Set([...knownTypes, ...vocabulary.types])],
      sorts,
      filter: list.filter,
      params: list.params,
      text: list.text,
      total,
      items,
      perPage: list.perPage,
      first: offset + 1,
      last: offset + items.length,
      feeds: feedLinks.list(list.params, product?.id ?? null),
      pagination: paginate(total, list.page, list.perPage, path, list.params)
    })
  }, canonicalOf(request, list.params))
}

function bareId (portal: Portal, reply: FastifyReply, id: string): FastifyReply {
  const products = portal.reader.productsOf(id)
  if (products.length === 0) {
    throw new NotFoundError('Advisory not found', `No advisory or product is called "${id}". Search for it instead:`, id)
  }
  if (products.length === 1) return reply.redirect(urls.advisory(products[0]!, id), 301)
  const names = portal.vocabulary().products.filter((p) => products.includes(p.id))
  return reply.code(300).type('text/html; charset=utf-8').send(portal.render('choose', { title: `Advisory ${id}`, id, products: names }))
}
