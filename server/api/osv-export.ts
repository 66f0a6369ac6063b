// GET /api/v1/osv/all.ndjson: every advisory (optionally of one product) as OSV, one JSON record per line,
// streamed so a large database never sits in memory whole; /api/v1/osv/{product}/all.ndjson is one product's
// bundle at a path-only URL (what a static copy of the portal holds), the same bytes as ?product=.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Type } from 'typebox'
import { emptyFilter, type Position } from '../../db/advisory-query.js'
import { FilterError } from '../advisory-filter.js'
import { DataMovedError, sendStreamed, versionOf } from '../http/cache.js'
import { knownProduct } from './advisories.js'
import { toOsv } from './osv.js'
import { ErrorBody } from './schemas.js'

// A chunk is read ten advisories at a time until it has taken sliceMs (an advisory is about 0.3 ms of SQL and
// JSON at a million advisories, more on a busy machine): each chunk holds the event loop a few ms.
const batch = 10
const sliceMs = 5

const Bundle = { description: 'One OSV record per line', content: { 'application/x-ndjson': { schema: Type.String() } } }
const NotModified = Type.Null({ description: 'Not modified' })

export const osvExport: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/osv/all.ndjson', {
    schema: {
      operationId: 'exportOsv',
      summary: 'Every advisory as OSV records, newline-delimited JSON (bulk import)',
      tags: ['osv'],
      querystring: Type.Object({ product: Type.Optional(Type.String()) }),
      response: { 200: Bundle, 304: NotModified, 400: ErrorBody }
    }
  }, async (request, reply) => {
    const { product } = request.query
    const known = app.data.vocabulary().products.map((p) => p.id)
    if (product !== undefined && !known.includes(product)) throw new FilterError(`product: unknown product "${product}"; known products: ${known.join(', ')}`)
    return sendBundle(app, request, reply, product)
  })

  app.get('/api/v1/osv/:product/all.ndjson', {
    schema: {
      operationId: 'exportProductOsv',
      summary: 'One product\'s advisories as OSV records, newline-delimited JSON (bulk import)',
      description: 'The same bytes as `/api/v1/osv/all.ndjson?product=`, at a path-only URL that a static copy of the portal holds (as osv.dev\'s bucket offers one file per ecosystem).',
      tags: ['osv'],
      params: Type.Object({ product: Type.String({ description: 'Product id' }) }),
      response: { 200: Bundle, 304: NotModified, 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    knownProduct(app, request.params.product)
    return sendBundle(app, request, reply, request.params.product)
  })
}

/** Every advisory of the product (or of all products) as OSV lines, streamed under one data version. */
async function sendBundle (app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, product: string | undefined): Promise<FastifyReply> {
  const base = app.baseUrl(request)
  const filter = { ...emptyFilter, products: product === undefined ? [] : [product] }
  async function * records (generation: number): AsyncGenerator<string> {
    // Keyset paging: an ingest running meanwhile cannot make the export skip or repeat a record. Each batch
    // is read in one snapshot; if an ingest has changed the data since the headers went out, the transfer
    // is cut off (no final chunk) rather than finished as a mix of two states under one ETag.
    let after: Position | null = null
    for (;;) {
      const chunk = app.data.read((stamp) => {
        if (stamp.generation !== generation) throw new DataMovedError(`the data changed during the OSV export (generation ${generation} -> ${stamp.generation}); the transfer was cut off, retry`)
        const started = performance.now()
        let text = ''
        let read = 0
        do {
          const { items, positions } = app.lists.listAfter(filter, batch, after)
          if (items.length === 0) break
          after = positions.at(-1)!
          read += items.length
          for (const a of items) {
            const detail = app.advisories.get(a.product, a.id)
            if (detail !== null) text += `${JSON.stringify(toOsv(base, detail))}\n`
          }
        } while (performance.now() - started < sliceMs)
        return read === 0 ? null : text
      })
      if (chunk === null) return
      yield chunk
      // A macrotask between chunks: a socket that never fills (a fast reader on loopback) would otherwise let the
      // stream pull chunk after chunk in microtasks, the whole bundle in one turn of the event loop.
      await nextTurn()
    }
  }
  // The ?product= form and the path form are the same bytes: one key.
  return await sendStreamed(app.bodyCache, request, reply, {
    contentType: 'application/x-ndjson; charset=utf-8',
    maxAge: 300,
    key: `${base} osv ${product ?? '*'}`,
    open: () => {
      const stamp = app.data.stamp()
      return { version: versionOf(stamp, 'data'), chunks: () => records(stamp.generation) }
    }
  })
}
