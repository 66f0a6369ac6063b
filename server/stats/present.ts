// The statistics report as the API gives it: JSON in the API's snake_case, and CSV with one row per product
// and month (the form spreadsheets and plotting tools read).
import type { Static } from 'typebox'
import type { StatsBody } from '../api/schemas.js'
import type { Counts, StatsReport } from './report.js'

const counts = (c: Counts): { cves: number, advisories: number, by_severity: Record<string, number> } => ({ cves: c.cves, advisories: c.advisories, by_severity: c.bySeverity })

export function statsJson (report: StatsReport): Static<typeof StatsBody> {
  return {
    from: report.range.from,
    to: report.range.to,
    months: report.range.months,
    newest_issued: report.newestIssued,
    severities: report.severities,
    products: report.products.map((p) => ({ id: p.id, name: p.name, ...counts(p), months: p.months.map((m) => ({ month: m.month, ...counts(m) })) }))
  }
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const field = (value: string | number): string => {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Header, then a row per product and month (zeros included); CRLF line ends as RFC 4180 writes them. */
export function statsCsv (report: StatsReport): string {
  const lines = [['product', 'product_name', 'month', 'cves', 'advisories', ...report.severities].map(field).join(',')]
  for (const p of report.products) {
    for (const m of p.months) lines.push([p.id, p.name, m.month, m.cves, m.advisories, ...report.severities.map((s) => m.bySeverity[s] ?? 0)].map(field).join(','))
  }
  return lines.join('\r\n') + '\r\n'
}
