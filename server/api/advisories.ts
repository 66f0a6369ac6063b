// GET /api/v1/advisories (filters, keyset cursor), /api/v1/advisories/{id} and its OSV form, and the path-only
// forms a static copy of the portal holds: /api/v1/products/{product}/advisories/{id}.json, {id}.osv.json, page/{n}.json.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type, type Static, type TSchema } from 'typebox'
import type { AdvisoryDetail } from '../../db/advisory-read.js'
import { emptyFilter, type Position } from '../../db/advisory-query.js'
import { FilterError, parseListQuery } from '../advisory-filter.js'
import { AmbiguousError, NotFoundError } from '../http/errors.js'
import { toOsv } from './osv.js'
import { advisoryJson, apiUrls, summaryJson } from './present.js'
import { AdvisoryBody, AdvisoryList, AdvisoryPage, ConflictBody, ErrorBody, ListQuery } from './schemas.js'
import { OsvRecord } from './osv-schema.js'

export const apiLimit = { default: 100, max: 1000 }
/** Advisories per numbered page (the path-only list), as many as the list API's largest page; changing it renumbers every page. */
export const advisoriesPerPage = 1000

const DetailParams = Type.Object({ id: Type.String({ description: 'Advisory id, percent-encoded' }) })
const DetailQuery = Type.Object({ product: Type.Optional(Type.String({ description: 'Product id; required when several products use the id' })) })

/** One advisory by id, in some form: the id in the path, ?product= when several products use it. */
function detailSchema<T extends TSchema> (operationId: string, summary: string, tag: string, body: T) {
  return { operationId, summary, tags: [tag], params: DetailParams, querystring: DetailQuery, response: { 200: body, 400: ErrorBody, 404: ErrorBody, 409: ConflictBody } }
}

const ProductDetailParams = Type.Object({
  product: Type.String({ description: 'Product id' }),
  id: Type.String({ description: 'Advisory id, percent-encoded' })
})

/** The path-only form of a detail: product and id in the path, so no query string and never a 409. */
function productDetailSchema<T extends TSchema> (operationId: string, summary: string, tag: string, body: T) {
  const description = 'The same bytes as the `?product=` form; a path-only URL, so a static copy of the portal holds it too. The `api_url` of every summary points here.'
  return { operationId, summary, description, tags: [tag], params: ProductDetailParams, response: { 200: body, 400: ErrorBody, 404: ErrorBody } }
}

const PageParams = Type.Object({
  product: Type.String({ description: 'Product id' }),
  n: Type.String({ pattern: '^[1-9][0-9]{0,6}$', description: 'Page number, from 1' })
})

export const advisoryApi: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/advisories', {
    schema: {
      operationId: 'listAdvisories',
      summary: 'List advisories',
      description: 'Newest first (or by updated date), filtered like the portal\'s list. Page with `cursor`: the position is the last item\'s date and id, so pages stay stable while data changes.',
      tags: ['advisories'],
      querystring: ListQuery,
      response: { 200: AdvisoryList, 400: ErrorBody }
    }
  }, async (request, reply) => {
    const { cursor, ...query } = request.query
    const after = decodeCursor(cursor)
    const sort = query.sort ?? 'issued'
    if (sort !== 'issued' && sort !== 'updated') throw new FilterError('sort: the API sorts by issued or updated')
    const list = parseListQuery(query, app.data.vocabulary(), { perPage: apiLimit.default, maxPerPage: apiLimit.max, perPageParam: 'limit' })
    return reply.versionedJson('data', () => {
      const base = app.baseUrl(request)
      // One row more than asked tells whether another page exists, so the last page says null.
      const { items, positions } = app.lists.listAfter(list.filter, list.perPage + 1, after)
      const more = items.length > list.perPage
      const page = items.slice(0, list.perPage)
      return {
        items: page.map((a) => summaryJson(base, a)),
        next_cursor: more ? encodeCursor(positions[list.perPage - 1]!) : null
      }
    })
  })

  app.get('/api/v1/advisories/:id', { schema: detailSchema('getAdvisory', 'One advisory', 'advisories', AdvisoryBody) }, async (request, reply) => {
    return reply.versionedJson('data', () => advisoryJson(app.baseUrl(request), find(app, request.params.id, request.query.product)))
  })

  app.get('/api/v1/advisories/:id/osv', { schema: detailSchema('getAdvisoryOsv', 'One advisory in OSV format (schema 1.6)', 'osv', OsvRecord) }, async (request, reply) => {
    return reply.versionedJson('data', () => toOsv(app.baseUrl(request), find(app, request.params.id, request.query.product)))
  })

  // Path-only forms: what a static copy holds. The router strips the suffix; `.osv.json` wins over `.json`.
  app.get('/api/v1/products/:product/advisories/:id.json', { schema: productDetailSchema('getProductAdvisory', 'One advisory of a product', 'advisories', AdvisoryBody) }, async (request, reply) => {
    return reply.versionedJson('data', () => advisoryJson(app.baseUrl(request), find(app, request.params.id, request.params.product)))
  })

  app.get('/api/v1/products/:product/advisories/:id.osv.json', { schema: productDetailSchema('getProductAdvisoryOsv', 'One advisory of a product in OSV format (schema 1.6)', 'osv', OsvRecord) }, async (request, reply) => {
    return reply.versionedJson('data', () => toOsv(app.baseUrl(request), find(app, request.params.id, request.params.product)))
  })

  app.get('/api/v1/products/:product/advisories/page/:n.json', {
    schema: {
      operationId: 'listProductAdvisoryPages',
      summary: 'A product\'s advisories in numbered pages',
      description: `Every advisory of the product, withdrawn ones included, newest issued first (ties by id), ${advisoriesPerPage} per page, with the paths of the next and previous pages: a path-only list that a static copy of the portal holds. A page past the last is 404. For filters and a position that stays stable while data changes, use listAdvisories.`,
      tags: ['advisories'],
      params: PageParams,
      response: { 200: AdvisoryPage, 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    const { product } = request.params
    knownProduct(app, product)
    await app.lists.pageReady({ ...emptyFilter, products: [product] }, (Number(request.params.n) - 1) * advisoriesPerPage)
    return reply.versionedJson('data', () => productPage(app, app.baseUrl(request), product, Number(request.params.n)))
  })
}

/** 404 for a product the data does not know (the path names it, so it is a missing document, not a bad filter). */
export function knownProduct (app: FastifyInstance, product: string): void {
  const known = app.data.vocabulary().products.map((p) => p.id)
  if (!known.includes(product)) throw new NotFoundError('Not found', `no product "${product}"; known products: ${known.join(', ')}`)
}

/** Page `n` of a product's advisories (the list query's order), read inside the caller's snapshot. */
function productPage (app: FastifyInstance, base: string, product: string, n: number): Static<typeof AdvisoryPage> {
  const { total, items } = app.lists.list({ ...emptyFilter, products: [product] }, advisoriesPerPage, (n - 1) * advisoriesPerPage)
  const pages = Math.max(1, Math.ceil(total / advisoriesPerPage))
  if (n > pages) throw new NotFoundError('Not found', `product "${product}" has ${pages} page${pages === 1 ? '' : 's'} of advisories; there is no page ${n}`)
  return {
    items: items.map((a) => summaryJson(base, a)),
    page: n,
    pages,
    next: n < pages ? apiUrls.advisoryPage(product, n + 1) : null,
    prev: n > 1 ? apiUrls.advisoryPage(product, n - 1) : null
  }
}

/** The advisory with this id, in the given product or the only product that has it. */
export function find (app: FastifyInstance, id: string, product: string | undefined): AdvisoryDetail {
  if (product !== undefined) {
    const advisory = app.advisories.get(product, id)
    if (advisory === null) throw new NotFoundError('Not found', `product "${product}" has no advisory "${id}"`)
    return advisory
  }
  const products = app.advisories.productsOf(id)
  if (products.length === 0) throw new NotFoundError('Not found', `no advisory "${id}"`)
  if (products.length > 1) throw new AmbiguousError(`advisory "${id}" exists in several products: ${products.join(', ')}; add ?product=`, products)
  return app.advisories.get(products[0]!, id)!
}

function encodeCursor (position: Position): string {
  return Buffer.from(JSON.stringify([position.key, position.id, position.product])).toString('base64url')
}

function decodeCursor (value: string | undefined): Position | null {
  if (value === undefined || value === '') return null
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((v) => typeof v === 'string')) {
      return { key: parsed[0] as string, id: parsed[1] as string, product: parsed[2] as string }
    }
  } catch {}
  throw new FilterError('cursor: not a cursor this API gave out; start again without it')
}
