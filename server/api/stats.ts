// GET /api/v1/stats and /api/v1/stats.csv: the statistics page's numbers (per product and month, distinct CVEs
// fixed and advisories by severity) as JSON and as CSV, for the same range parameters.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { requestedRange } from '../stats/range.js'
import { statsReport } from '../stats/report.js'
import { statsCsv, statsJson } from '../stats/present.js'
import { ErrorBody, StatsBody, StatsQuery } from './schemas.js'

const description = 'Counted by issued month (UTC); withdrawn advisories and advisories without an issued date are not counted. Without `from` and `to`, the 12 months to the month of the newest active advisory (not today: the same data gives the same answer).'
const Csv = { description: 'A header line, then one line per product and month: product, product_name, month, cves, advisories, then one column per severity', content: { 'text/csv': { schema: Type.String() } } }

export const statsApi: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/stats', {
    schema: {
      operationId: 'getStats',
      summary: 'CVEs fixed and advisories by severity, per product and month',
      description,
      tags: ['stats'],
      querystring: StatsQuery,
      response: { 200: StatsBody, 400: ErrorBody }
    }
  }, async (request, reply) => {
    const requested = requestedRange(request.query)
    return reply.versionedJson('data', () => statsJson(statsReport(app, requested)))
  })

  app.get('/api/v1/stats.csv', {
    schema: {
      operationId: 'getStatsCsv',
      summary: 'The same statistics as CSV',
      description,
      tags: ['stats'],
      querystring: StatsQuery,
      response: { 200: Csv, 400: ErrorBody }
    }
  }, async (request, reply) => {
    const requested = requestedRange(request.query)
    // No links inside, so the base URL is no part of the key.
    return reply.versioned({ scope: 'data', contentType: 'text/csv; charset=utf-8', maxAge: 60, key: `stats.csv ${request.url}`, render: () => statsCsv(statsReport(app, requested)) })
  })
}
