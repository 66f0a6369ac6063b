// The months a statistics request covers: `?from=YYYY-MM&to=YYYY-MM`, or by default the 12 months to the month
// of the newest advisory. Not to today: the same database must give the same bytes, live or exported.
import { FilterError } from '../advisory-filter.js'

export const defaultMonths = 12
/** Twenty years: a long-lived distribution's whole history in one request, and still a bounded answer. */
export const maxMonths = 240

export interface RangeQuery { from?: string, to?: string }

export interface MonthRange {
  /** First and last month, "YYYY-MM", both included. */
  from: string
  to: string
  months: string[]
  /** The default range (no parameter given): what the page says it is, and the query-less URL a static copy holds. */
  isDefault: boolean
}

const monthPattern = /^\d{4}-(?:0[1-9]|1[0-2])$/

const indexOf = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1
const monthAt = (index: number): string => `${String(Math.floor(index / 12)).padStart(4, '0')}-${String(index % 12 + 1).padStart(2, '0')}`
const lastIndex = indexOf('9999-12')

/** The range a query names (a missing bound makes it 12 months long), or null for the default. 400 on a bad value. */
export function requestedRange (query: RangeQuery): { from: string, to: string } | null {
  const from = month(query, 'from')
  const to = month(query, 'to')
  if (from === null && to === null) return null
  const first = from === null ? Math.max(0, indexOf(to!) - defaultMonths + 1) : indexOf(from)
  const last = to === null ? Math.min(lastIndex, first + defaultMonths - 1) : indexOf(to)
  if (first > last) throw new FilterError(`from: ${from!} is after to (${to!})`)
  const length = last - first + 1
  if (length > maxMonths) throw new FilterError(`to: ${monthAt(first)} to ${monthAt(last)} is ${length} months; a range is at most ${maxMonths} months`)
  return { from: monthAt(first), to: monthAt(last) }
}

/** The range to show: the one asked for, else the 12 months to the month of `anchor` (an ISO time). */
export function monthRange (requested: { from: string, to: string } | null, anchor: string): MonthRange {
  const last = requested === null ? indexOf(anchor.slice(0, 7)) : indexOf(requested.to)
  const first = requested === null ? Math.max(0, last - defaultMonths + 1) : indexOf(requested.from)
  const months = Array.from({ length: last - first + 1 }, (_, i) => monthAt(first + i))
  return { from: months[0]!, to: months.at(-1)!, months, isDefault: requested === null }
}

/** The range of the same length `by` months away; null past the years a month can name. */
export function shiftedRange (range: { from: string, to: string }, by: number): { from: string, to: string } | null {
  const [first, last] = [indexOf(range.from) + by, indexOf(range.to) + by]
  return first < 0 || last > lastIndex ? null : { from: monthAt(first), to: monthAt(last) }
}

/**
 * ISO bounds for the store: from the first day of `from`, until after the last moment of `to`. '~' sorts after
 * every character an ISO time holds, so `YYYY-MM~` is past the whole month without computing the next one.
 */
export function isoBounds (range: { from: string, to: string }): { start: string, until: string } {
  return { start: `${range.from}-01`, until: `${range.to}~` }
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "2025-06" -> "Jun 2025" (English and fixed: the same bytes whatever the machine's locale). */
export function monthLabel (month: string, withYear = true): string {
  const name = monthNames[Number(month.slice(5, 7)) - 1]!
  return withYear ? `${name} ${month.slice(0, 4)}` : name
}

function month (query: RangeQuery, key: 'from' | 'to'): string | null {
  const value = query[key]?.trim() ?? ''
  if (value === '') return null
  if (!monthPattern.test(value)) throw new FilterError(`${key}: "${value.slice(0, 40)}" is not a month; use YYYY-MM, for example 2024-01`)
  return value
}
