// Where the feeds matching a page live: every list, product, CVE and package page advertises them.

export interface FeedLink { type: string, href: string, title: string, label: string }

export const feedFormats = [
  { ext: 'rss', type: 'application/rss+xml', label: 'RSS' },
  { ext: 'atom', type: 'application/atom+xml', label: 'Atom' },
  { ext: 'json', type: 'application/feed+json', label: 'JSON Feed' }
] as const

export type FeedFormat = typeof feedFormats[number]['ext']

// Paging and ordering belong to the page, not to its feed (a feed is always newest first).
const pageOnlyParams = ['page', 'per_page', 'sort', 'order']

function links (path: string, params: URLSearchParams, title: string): FeedLink[] {
  const query = new URLSearchParams(params)
  for (const key of pageOnlyParams) query.delete(key)
  const qs = query.toString()
  return feedFormats.map((f) => ({ type: f.type, href: `${path}.${f.ext}${qs === '' ? '' : `?${qs}`}`, title: `${title} (${f.label})`, label: f.label }))
}

export const feedLinks = {
  /** The list's filters, minus the product when the product has its own short feed URL. */
  list: (params: URLSearchParams, product: string | null): FeedLink[] => {
    if (product === null) return links('/feeds/advisories', params, 'Advisories')
    const rest = new URLSearchParams(params)
    rest.delete('product')
    return links(`/feeds/${encodeURIComponent(product)}`, rest, `${product} advisories`)
  },
  cve: (cve: string): FeedLink[] => links(`/feeds/cve/${encodeURIComponent(cve)}`, new URLSearchParams(), `Advisories fixing ${cve}`),
  package: (name: string): FeedLink[] => links(`/feeds/packages/${encodeURIComponent(name)}`, new URLSearchParams(), `Advisories for ${name}`)
}
