// "What happened lately?" for the home page and a product's page: advisories, and the critical or important ones,
// in the 7 and 30 days to the newest advisory's issued day (not to today: the same data, the same page, live or
// exported), per product, and per week over the last 13 weeks for the chart.
import type { FastifyInstance } from 'fastify'
import type { Week } from '../charts/weekly-bars.js'

/** Counted as "critical or important": `high` is what some distributions call important (the same badge). */
export const urgentSeverities = ['critical', 'important', 'high'] as const
export const chartWeeks = 13

export interface Tally { advisories: number, urgent: number }

export interface ProductActivity { id: string, name: string, week: Tally, month: Tally }

export interface RecentActivity {
  /** The newest active advisory's issued day, "YYYY-MM-DD": the last day of every window. */
  day: string
  /** First days of the 7-day and 30-day windows. */
  weekFrom: string
  monthFrom: string
  /** Products with an advisory in the 30 days, by id (only the page's product on a product page). */
  products: ProductActivity[]
  total: { week: Tally, month: Tally }
  /** Oldest first; the last is the 7-day window itself. */
  weeks: Week[]
}

const dayMs = 86_400_000
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10)
const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs)

/** Reads the activity of every product (or one). Null without any dated active advisory. Call inside one read snapshot. */
export function recentActivity (app: FastifyInstance, product: string | null): RecentActivity | null {
  const newest = app.stats.newestIssued()
  if (newest === null) return null
  const day = newest.slice(0, 10)
  const weekFrom = addDays(day, -6)
  const monthFrom = addDays(day, -29)
  const chartFrom = addDays(day, -(chartWeeks * 7 - 1))
  const weeks: Week[] = Array.from({ length: chartWeeks }, (_, i) => {
    const end = addDays(day, -7 * (chartWeeks - 1 - i))
    return { start: addDays(end, -6), end, advisories: 0, urgent: 0 }
  })
  const names = new Map(app.data.vocabulary().products.map((p) => [p.id, p.name]))
  const byProduct = new Map<string, ProductActivity>()
  const zero = (): Tally => ({ advisories: 0, urgent: 0 })
  const total = { week: zero(), month: zero() }
  const add = (tally: Tally, n: { advisories: number, urgent: number }): void => { tally.advisories += n.advisories; tally.urgent += n.urgent }
  // '~' sorts after every character of an ISO time: the bound takes in the whole of the newest day.
  for (const row of app.stats.advisoriesByDay(chartFrom, `${day}~`, product, urgentSeverities)) {
    add(weeks[chartWeeks - 1 - Math.floor(daysBetween(row.day, day) / 7)]!, row)
    if (row.day < monthFrom) continue
    let p = byProduct.get(row.product)
    if (p === undefined) byProduct.set(row.product, p = { id: row.product, name: names.get(row.product) ?? row.product, week: zero(), month: zero() })
    add(p.month, row)
    add(total.month, row)
    if (row.day >= weekFrom) { add(p.week, row); add(total.week, row) }
  }
  return { day, weekFrom, monthFrom, products: [...byProduct.values()], total, weeks }
}
