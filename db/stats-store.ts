// Counts behind the statistics page and the home page's "what happened lately": advisories by product, issued
// month or day and severity, and distinct CVEs. Withdrawn advisories and those without an issued date are
// never counted (docs/portal.md, "Statistics"). Bounds are ISO 8601 UTC times: from inclusive, until exclusive.
import type { Db } from './open.js'

/** Advisories of one product, issued month ("YYYY-MM") and severity (null: none). */
export interface MonthSeverityCount { product: string, month: string, severity: string | null, advisories: number }

/** Distinct CVEs fixed by one product's advisories in one issued month. */
export interface MonthCveCount { product: string, month: string, cves: number }

/** A product's advisories issued on one day ("YYYY-MM-DD"), and how many of them carry an urgent severity. */
export interface DayCount { product: string, day: string, advisories: number, urgent: number }

interface Window { from: string, until: string }

export class StatsStore {
  private readonly s

  constructor (db: Db) {
    const counted = (alias = ''): string => `${alias}withdrawn = 0 AND ${alias}issued >= @from AND ${alias}issued < @until`
    const urgent = 'severity IN (SELECT value FROM json_each(@urgent))'
    this.s = {
      // The issued index read from its end until an active advisory (max() with a WHERE would read every row).
      newestIssued: db.prepare<[], { v: string | null }>('SELECT issued AS v FROM advisory WHERE withdrawn = 0 AND issued IS NOT NULL ORDER BY issued DESC LIMIT 1'),
      bySeverity: db.prepare<[Window], MonthSeverityCount>(`SELECT product_id AS product, substr(issued, 1, 7) AS month, severity, count(*) AS advisories
        FROM advisory WHERE ${counted()} GROUP BY product_id, month, severity ORDER BY product_id, month`),
      monthCves: db.prepare<[Window], MonthCveCount>(`SELECT a.product_id AS product, substr(a.issued, 1, 7) AS month, count(DISTINCT c.cve) AS cves
        FROM advisory a JOIN advisory_cve c ON c.advisory_pk = a.pk WHERE ${counted('a.')}
        GROUP BY a.product_id, month ORDER BY a.product_id, month`),
      // A CVE fixed in two months of the range counts once here: the range's total is not the months' sum.
      rangeCves: db.prepare<[Window], { product: string, cves: number }>(`SELECT a.product_id AS product, count(DISTINCT c.cve) AS cves
        FROM advisory a JOIN advisory_cve c ON c.advisory_pk = a.pk WHERE ${counted('a.')} GROUP BY a.product_id`),
      // The urgent severities arrive as a JSON array, so the list stays a bound value.
      days: db.prepare<[Window & { product: string | null, urgent: string }], DayCount>(`SELECT product_id AS product, substr(issued, 1, 10) AS day,
          count(*) AS advisories, count(*) FILTER (WHERE ${urgent}) AS urgent
        FROM advisory WHERE ${counted()} AND (@product IS NULL OR product_id = @product) GROUP BY product_id, day ORDER BY product_id, day`)
    }
  }

  /** The newest issued time of an active advisory: the anchor of every default range (the same data, the same pages). */
  newestIssued (): string | null { return this.s.newestIssued.get()?.v ?? null }

  advisoriesBySeverity (from: string, until: string): MonthSeverityCount[] { return this.s.bySeverity.all({ from, until }) }

  cvesByMonth (from: string, until: string): MonthCveCount[] { return this.s.monthCves.all({ from, until }) }

  cvesInRange (from: string, until: string): Array<{ product: string, cves: number }> { return this.s.rangeCves.all({ from, until }) }

  /** Advisories per product and issued day, of one product or all (null). */
  advisoriesByDay (from: string, until: string, product: string | null, urgent: readonly string[]): DayCount[] {
    return this.s.days.all({ from, until, product, urgent: JSON.stringify(urgent) })
  }
}
