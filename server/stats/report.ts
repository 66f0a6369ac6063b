// The statistics of a range of months, per product: distinct CVEs fixed and advisories by severity, each month
// and over the whole range. One shape behind the page, the JSON and the CSV, read inside the caller's snapshot.
import type { FastifyInstance } from 'fastify'
import { severityRank } from '../../domain/vocabulary.js'
import { isoBounds, monthRange, type MonthRange } from './range.js'

export interface Counts {
  cves: number
  advisories: number
  /** Advisories per severity column (`none`: without a severity); every column, zeros included. */
  bySeverity: Record<string, number>
}

export interface MonthCounts extends Counts { month: string }

export interface ProductStats extends Counts {
  id: string
  name: string
  /** One entry per month of the range, in order. */
  months: MonthCounts[]
}

export interface StatsReport {
  range: MonthRange
  /** The newest issued time of an active advisory (the default range's anchor); null without one. */
  newestIssued: string | null
  /** Severity columns: those the data holds, most urgent first, then `none`. */
  severities: string[]
  /** Every product, by id; `cves` and `advisories` over the whole range (a CVE fixed twice counts once). */
  products: ProductStats[]
}

/**
 * The report, read once per data generation and range: the page, the JSON and the CSV show the same one, and
 * the static export renders all three on every run (its queries cost about 30 ms each at 20,000 advisories).
 * Call inside one read snapshot (`app.data.read`). Callers do not change it.
 */
export function statsReport (app: FastifyInstance, requested: { from: string, to: string } | null): StatsReport {
  const key = `${app.data.stamp().generation} ${requested?.from ?? ''} ${requested?.to ?? ''}`
  let reports = kept.get(app)
  if (reports === undefined) kept.set(app, reports = new Map())
  let report = reports.get(key)
  if (report === undefined) {
    report = readReport(app, requested)
    reports.set(key, report)
    if (reports.size > keptReports) reports.delete(reports.keys().next().value!)
  }
  return report
}

const kept = new WeakMap<FastifyInstance, Map<string, StatsReport>>()
/** The default range's and a few others: each is a few kilobytes. */
const keptReports = 4

function readReport (app: FastifyInstance, requested: { from: string, to: string } | null): StatsReport {
  const newestIssued = app.stats.newestIssued()
  // Without any dated advisory, the data's own change time anchors the default: still the same bytes from the same data.
  const range = monthRange(requested, newestIssued ?? app.data.stamp().changedAt)
  const { start, until } = isoBounds(range)
  const rows = app.stats.advisoriesBySeverity(start, until)
  const severities = [...new Set([...app.data.vocabulary().severities, ...rows.flatMap((r) => r.severity === null ? [] : [r.severity])])]
    .sort((a, b) => severityRank(a) - severityRank(b) || a.localeCompare(b)).concat('none')
  const empty = (): Counts => ({ cves: 0, advisories: 0, bySeverity: Object.fromEntries(severities.map((s) => [s, 0])) })
  const products = app.data.vocabulary().products.map((p): ProductStats => ({ id: p.id, name: p.name, ...empty(), months: range.months.map((month) => ({ month, ...empty() })) }))
  const byId = new Map(products.map((p) => [p.id, p]))
  const cell = (product: string, month: string): MonthCounts | undefined => {
    const p = byId.get(product)
    return p?.months[range.months.indexOf(month)]
  }
  for (const r of rows) {
    const c = cell(r.product, r.month)
    const p = byId.get(r.product)
    if (c === undefined || p === undefined) continue
    const severity = r.severity ?? 'none'
    c.advisories += r.advisories
    c.bySeverity[severity] = (c.bySeverity[severity] ?? 0) + r.advisories
    p.advisories += r.advisories
    p.bySeverity[severity] = (p.bySeverity[severity] ?? 0) + r.advisories
  }
  for (const r of app.stats.cvesByMonth(start, until)) {
    const c = cell(r.product, r.month)
    if (c !== undefined) c.cves = r.cves
  }
  for (const r of app.stats.cvesInRange(start, until)) {
    const p = byId.get(r.product)
    if (p !== undefined) p.cves = r.cves
  }
  return { range, newestIssued, severities, products }
}

/** The query string of a range, for links: none for the default. */
export function rangeQuery (range: MonthRange): string {
  return range.isDefault ? '' : `?${new URLSearchParams({ from: range.from, to: range.to }).toString()}`
}
