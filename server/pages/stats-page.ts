// `/stats`: per product and month, the distinct CVEs fixed (a chart comparing the products, then the table) and
// the advisories by severity, for the 12 months to the newest advisory or any range by `?from=&to=`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { StatsQuery } from '../api/schemas.js'
import { monthlyLines, seriesColours } from '../charts/monthly-lines.js'
import { monthLabel, requestedRange, shiftedRange } from '../stats/range.js'
import { rangeQuery, statsReport } from '../stats/report.js'

export const statsPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/stats', { schema: { summary: 'Statistics page', tags: ['pages'], querystring: StatsQuery } }, async (request, reply) => {
    // Validated before the cache is asked, so a 400 is never kept; the key is the range asked for, not the raw URL.
    const requested = requestedRange(request.query)
    const canonical = link(requested) ?? '/stats'
    return reply.page('stats', () => {
      const report = statsReport(app, requested)
      const { range } = report
      const plotted = report.products.filter((p) => p.cves > 0)
      const newestMonth = report.newestIssued?.slice(0, 7) ?? null
      return {
        title: 'Statistics',
        description: 'CVEs fixed and advisories issued per product and month, from the Lambda Linux Security Center.',
        nav: 'stats',
        report,
        rangeText: range.from === range.to ? monthLabel(range.from) : `${monthLabel(range.from)} to ${monthLabel(range.to)}`,
        newestDay: report.newestIssued?.slice(0, 10) ?? null,
        chart: plotted.length === 0 ? null : monthlyLines(range.months, plotted.map((p) => ({ id: p.id, name: p.name, values: p.months.map((m) => m.cves) }))),
        unplotted: report.products.filter((p) => p.cves === 0).map((p) => p.name),
        monthLabel,
        colours: seriesColours,
        query: rangeQuery(range),
        earlier: link(shiftedRange(range, -range.months.length)),
        later: newestMonth !== null && range.to < newestMonth ? link(shiftedRange(range, range.months.length)) : null
      }
    }, { canonical })
  })
}

const link = (range: { from: string, to: string } | null): string | null => range === null ? null : `/stats?from=${range.from}&to=${range.to}`
