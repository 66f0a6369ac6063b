// Page links for a list: first, last and the pages around the current one, with gaps between.
import { Type } from 'typebox'

const QueryValue = Type.Union([Type.String(), Type.Array(Type.String())])

/** CVE and package pages take only paging parameters (and ignore others, as every page does). */
export const PagingQuery = Type.Object({ page: Type.Optional(QueryValue), per_page: Type.Optional(QueryValue) })

export interface Pagination { page: number, pages: number, numbers: Array<number | null>, pageHref: (n: number) => string }

export function paginate (total: number, page: number, perPage: number, path: string, params: URLSearchParams): Pagination {
  const pages = Math.max(1, Math.ceil(total / perPage))
  const wanted = new Set([1, pages, page - 2, page - 1, page, page + 1, page + 2].filter((n) => n >= 1 && n <= pages))
  const numbers: Array<number | null> = []
  let previous = 0
  for (const n of [...wanted].sort((a, b) => a - b)) {
    if (n - previous > 1) numbers.push(null)
    numbers.push(n)
    previous = n
  }
  const pageHref = (n: number): string => {
    const p = new URLSearchParams(params)
    if (n === 1) p.delete('page')
    else p.set('page', String(n))
    return listUrl(path, p)
  }
  return { page, pages, numbers, pageHref }
}

/**
 * A list's URL: path-only (`/amzn2/page/2`) when the page number is its only parameter, so a static copy
 * of the portal (which answers no query strings) has every page; with filters, the query string as before.
 */
export function listUrl (path: string, params: URLSearchParams): string {
  const rest = new URLSearchParams(params)
  const page = rest.get('page')
  rest.delete('page')
  if (rest.size === 0) return page === null ? path : `${path === '/' ? '' : path}/page/${page}`
  if (page !== null) rest.append('page', page) // parseListQuery puts page last: the same order as before
  return `${path}?${rest.toString()}`
}

/** The path-only page number, for the routes that take it (`/page/:n`, `/<product>/page/:n`, ...). */
export const PageParam = Type.String({ pattern: '^[0-9]{1,7}$', description: 'Page number, from 2' })

/** `/.../page/1` asked by path: the list itself, where the caller redirects. */
export function firstPageByPath (url: string, page: number): boolean {
  return page === 1 && /\/page\/\d+$/.test(url.split('?')[0]!)
}
