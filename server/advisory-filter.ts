// Reads list filters from a query string (pages, feeds and the API share them) and refuses what it cannot
// use with a 400 that names the parameter. See docs/portal.md for the parameters.
import { Type, type Static } from 'typebox'
import type { AdvisoryFilter, SortKey } from '../db/advisory-query.js'
import type { Vocabulary } from '../db/summary-store.js'
import { isCveId, notACveId } from '../domain/cve.js'
import { knownSeverities, knownTypes } from '../domain/vocabulary.js'

export class FilterError extends Error {
  readonly statusCode = 400
}

/** A query string as parsed: a repeated parameter is an array. */
export const RawQuerySchema = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
export type RawQuery = Partial<Static<typeof RawQuerySchema>>

/** The parameters of a list page (feeds take `limit` instead of `page` and `per_page`). */
export const listParams = ['product', 'severity', 'type', 'package', 'cve', 'q', 'issued_after', 'issued_before', 'updated_after', 'withdrawn', 'sort', 'order', 'page', 'per_page']

/** A 400 naming the first parameter that is not one of `allowed`. */
export function refuseUnknown (query: RawQuery, allowed: readonly string[]): void {
  for (const key of Object.keys(query)) {
    if (!allowed.includes(key)) throw new FilterError(`${key}: unknown parameter "${key}"; this URL takes ${allowed.join(', ')}`)
  }
}

export interface ListRequest {
  filter: AdvisoryFilter
  page: number
  perPage: number
  /** The user's own search text (shown back in the form). */
  text: string
  /** The normalised query string: the canonical, shareable form of this list. */
  params: URLSearchParams
}

export interface ListOptions {
  perPage: number
  maxPerPage: number
  /** The page-size parameter's name: `per_page` on pages, `limit` on feeds and the API. */
  perPageParam?: string
  /** The withdrawn filter when the query says nothing (pages: both; feeds: active only). */
  withdrawnDefault?: boolean | null
}

const sortKeys: SortKey[] = ['issued', 'updated', 'severity', 'id', 'relevance']
const maxText = 200

export function parseListQuery (query: RawQuery, vocabulary: Vocabulary, options: ListOptions): ListRequest {
  const params = new URLSearchParams()
  const productIds = vocabulary.products.map((p) => p.id)
  const products = many(query, 'product').map((v) => v.toLowerCase())
  for (const p of products) if (!productIds.includes(p)) throw new FilterError(`product: unknown product "${p}"; known products: ${productIds.join(', ')}`)
  const severityValues = [...new Set([...knownSeverities, ...vocabulary.severities])]
  const severities = many(query, 'severity').map((v) => v.toLowerCase())
  for (const s of severities) if (!severityValues.includes(s)) throw new FilterError(`severity: unknown severity "${s}"; use one of ${severityValues.join(', ')}`)
  const typeValues = [...new Set([...knownTypes, ...vocabulary.types])]
  const types = many(query, 'type').map((v) => v.toLowerCase())
  for (const t of types) if (!typeValues.includes(t)) throw new FilterError(`type: unknown type "${t}"; use one of ${typeValues.join(', ')}`)

  const pkg = text(query, 'package', 200)
  let cve = text(query, 'cve', 40)
  if (cve !== null) {
    if (!isCveId(cve)) throw new FilterError(`cve: ${notACveId(cve)}`)
    cve = cve.toUpperCase()
  }
  const issuedAfter = instant(query, 'issued_after', 'start')
  const issuedBefore = instant(query, 'issued_before', 'end')
  const updatedAfter = instant(query, 'updated_after', 'start')
  const withdrawnParam = yesNo(query, 'withdrawn')
  const withdrawn = withdrawnParam === undefined ? (options.withdrawnDefault ?? null) : withdrawnParam
  const search = text(query, 'q', maxText) ?? ''
  const q = ftsQuery(search)
  const sort = one(query, 'sort') ?? (q === null ? 'issued' : 'relevance')
  if (!sortKeys.includes(sort as SortKey)) throw new FilterError(`sort: use one of ${sortKeys.join(', ')}`)
  const order = one(query, 'order') ?? (sort === 'id' ? 'asc' : 'desc')
  if (order !== 'asc' && order !== 'desc') throw new FilterError('order: use asc or desc')
  const page = integer(query, 'page', 1, 1, 1_000_000)
  const perPageParam = options.perPageParam ?? 'per_page'
  const perPage = integer(query, perPageParam, options.perPage, 1, options.maxPerPage)

  for (const p of products) params.append('product', p)
  for (const s of severities) params.append('severity', s)
  for (const t of types) params.append('type', t)
  if (pkg !== null) params.set('package', pkg)
  if (cve !== null) params.set('cve', cve)
  for (const key of ['issued_after', 'issued_before', 'updated_after']) {
    const value = one(query, key)
    if (value !== null) params.set(key, value)
  }
  if (withdrawnParam !== undefined) params.set('withdrawn', withdrawnParam === null ? 'any' : withdrawnParam ? 'yes' : 'no')
  if (search !== '') params.set('q', search)
  if (one(query, 'sort') !== null) params.set('sort', sort)
  if (one(query, 'order') !== null) params.set('order', order)
  if (perPage !== options.perPage) params.set(perPageParam, String(perPage))
  if (page !== 1) params.set('page', String(page))

  return {
    filter: { products, severities, types, package: pkg, cve, issuedAfter, issuedBefore, updatedAfter, withdrawn, q, sort: sort as SortKey, order },
    page,
    perPage,
    text: search,
    params
  }
}

/**
 * Turns what a person typed into a safe FTS5 expression: every word becomes a quoted phrase of its
 * letters and digits, matched as a prefix, and all words must match. Null when nothing searchable is left.
 */
export function ftsQuery (input: string): string | null {
  const phrases: string[] = []
  for (const word of input.split(/\s+/)) {
    const tokens = word.match(/[\p{L}\p{N}]+/gu)
    if (tokens === null) continue
    phrases.push(`"${tokens.join(' ')}"*`)
    if (phrases.length === 16) break
  }
  return phrases.length === 0 ? null : phrases.join(' AND ')
}

function values (query: RawQuery, key: string): string[] {
  const value = query[key]
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

/** Repeated parameters and comma-separated lists both work: ?severity=critical&severity=low or ?severity=critical,low. */
function many (query: RawQuery, key: string): string[] {
  const list = values(query, key).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
  if (list.length > 50) throw new FilterError(`${key}: at most 50 values`)
  return [...new Set(list)]
}

function one (query: RawQuery, key: string): string | null {
  const list = values(query, key)
  if (list.length > 1) throw new FilterError(`${key}: give it once`)
  const value = list[0]?.trim() ?? ''
  return value === '' ? null : value
}

function text (query: RawQuery, key: string, max: number): string | null {
  const value = one(query, key)
  if (value === null) return null
  if (value.length > max) throw new FilterError(`${key}: longer than ${max} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new FilterError(`${key}: control characters are not allowed`)
  return value
}

function integer (query: RawQuery, key: string, fallback: number, min: number, max: number): number {
  const value = one(query, key)
  if (value === null) return fallback
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw new FilterError(`${key}: "${value}" must be a whole number from ${min} to ${max}`)
  return Number(value)
}

/** undefined when absent, null for `any`. */
function yesNo (query: RawQuery, key: string): boolean | null | undefined {
  const value = one(query, key)?.toLowerCase() ?? null
  if (value === null) return undefined
  if (value === 'any') return null
  if (['yes', 'true', '1'].includes(value)) return true
  if (['no', 'false', '0'].includes(value)) return false
  throw new FilterError(`${key}: use yes, no or any`)
}

/** A date (whole UTC day: its start or its end) or a full ISO 8601 timestamp, as an ISO string in UTC. */
function instant (query: RawQuery, key: string, edge: 'start' | 'end'): string | null {
  const value = one(query, key)
  if (value === null) return null
  const day = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(value)
  if (day !== null) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])]
    const parsed = new Date(Date.UTC(y, m - 1, d))
    // Date.UTC rolls 2024-02-30 over into March: a day that does not exist is refused, not moved.
    if (parsed.getUTCFullYear() !== y || parsed.getUTCMonth() !== m - 1 || parsed.getUTCDate() !== d) throw new FilterError(`${key}: "${value}" is not a real date`)
    if (day[4] === undefined) return `${day[1]!}-${day[2]!}-${day[3]!}T${edge === 'start' ? '00:00:00' : '23:59:59'}Z`
    const [hh, mm, ss] = day[4].slice(1).split(/[:.Z+-]/).map(Number)
    const zone = /([+-])(\d{2}):(\d{2})$/.exec(day[4])
    if (hh! > 23 || mm! > 59 || (ss ?? 0) > 59 || (zone !== null && (Number(zone[2]) > 23 || Number(zone[3]) > 59))) throw new FilterError(`${key}: "${value}" is not a real time`)
    const ms = Date.parse(value)
    if (!Number.isNaN(ms)) return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
  throw new FilterError(`${key}: "${value}" must be a date (YYYY-MM-DD) or an ISO 8601 time with a zone`)
}
