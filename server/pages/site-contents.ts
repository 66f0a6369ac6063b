// What the site is made of, read in one snapshot: every product, advisory, CVE and package with the number
// of advisories behind each (how many list pages it has). The sitemap lists it; the static export
// writes it.
import type { FastifyInstance } from 'fastify'
import type { IndexedAdvisory } from '../../db/site-index.js'
import { urls } from '../format.js'

export interface SiteContents {
  /** Product id -> advisories (withdrawn ones included: their pages stay). */
  products: Map<string, number>
  /** `/<product>/<ID>` -> the advisory's newest date (updated, else issued), for sitemaps. */
  advisories: Map<string, string | null>
  /**
   * CVE id -> advisories fixing it; binary and source package name (a package page answers either) ->
   * advisories touching it. Read by counts (readSiteContents), exact where more than a page (db/site-index.ts).
   */
  cves: Map<string, number>
  packages: Map<string, number>
  total: number
}

/** Items per page of the HTML lists (server/pages/*): the home and product lists, CVE and package pages. */
export const listPageSizes = { list: 50, cve: 100, package: 100 }

const bump = (map: Map<string, number>, key: string): void => { map.set(key, (map.get(key) ?? 0) + 1) }

/** Per app, what the last data generation read gave: the sitemap index and each sitemap read the same. */
const lastRead = new WeakMap<FastifyInstance, { generation: number, advisories: AdvisoryContents, contents: SiteContents | null }>()

/** The products and advisories of the site, without CVEs and packages (what the advisories' sitemaps need). */
export type AdvisoryContents = Pick<SiteContents, 'products' | 'advisories' | 'total'>

/** The products and every advisory with its date: one query. */
export function readAdvisoryContents (app: FastifyInstance): AdvisoryContents {
  return app.data.read((stamp) => {
    const known = lastRead.get(app)
    if (known?.generation === stamp.generation) return known.advisories
    const advisories: AdvisoryContents = { products: new Map(app.data.vocabulary().products.map((p) => [p.id, 0])), advisories: new Map(), total: 0 }
    for (const [product, id, newest] of app.siteIndex.advisoryDates()) {
      advisories.total++
      bump(advisories.products, product)
      advisories.advisories.set(urls.advisory(product, id), newest === '' ? null : newest)
    }
    lastRead.set(app, { generation: stamp.generation, advisories, contents: null })
    return advisories
  })
}

/** The site's contents from the database's counts (a fraction of reading every advisory's CVEs and names). */
export function readSiteContents (app: FastifyInstance): SiteContents {
  return app.data.read((stamp) => {
    const advisories = readAdvisoryContents(app)
    const known = lastRead.get(app)!
    if (known.contents !== null) return known.contents
    const contents: SiteContents = { ...advisories, ...app.siteIndex.groupCounts(Math.min(listPageSizes.cve, listPageSizes.package)) }
    lastRead.set(app, { generation: stamp.generation, advisories, contents })
    return contents
  })
}

/** The site's contents from its index (read in the same snapshot as `products`, the products in use). */
export function contentsOf (index: IndexedAdvisory[], products: string[]): SiteContents {
  const contents: SiteContents = { products: new Map(products.map((p) => [p, 0])), advisories: new Map(), cves: new Map(), packages: new Map(), total: 0 }
  for (const a of index) {
    contents.total++
    bump(contents.products, a.product)
    contents.advisories.set(urls.advisory(a.product, a.id), a.newest)
    for (const cve of a.cves) bump(contents.cves, cve)
    for (const name of a.names) bump(contents.packages, name)
  }
  return contents
}

/** `/page/2` .. `/page/n` of a list with `count` items (nothing when one page holds them all). */
export function furtherPages (path: string, count: number, perPage: number): string[] {
  const pages = Math.ceil(count / perPage)
  return Array.from({ length: Math.max(0, pages - 1) }, (_, i) => `${path === '/' ? '' : path}/page/${i + 2}`)
}

/** The sitemaps' kinds: a change to one advisory's date rewrites only the advisories' sitemaps. */
export const pageKinds = ['pages', 'advisories', 'cves', 'packages'] as const
export type PageKind = typeof pageKinds[number]

const listed = new WeakMap<object, Map<PageKind, readonly string[]>>()

/** The HTML pages of one kind, in a fixed order (the same data gives the same list). */
export function pagesOf (contents: AdvisoryContents & Partial<SiteContents>, kind: PageKind): readonly string[] {
  let kinds = listed.get(contents)
  if (kinds === undefined) listed.set(contents, kinds = new Map())
  let pages = kinds.get(kind)
  if (pages === undefined) kinds.set(kind, pages = pageList(contents, kind))
  return pages
}

/** Every HTML page of the site: the lists and site pages, the advisories, the CVEs, the packages. */
export function pageUrls (contents: SiteContents): string[] {
  return pageKinds.flatMap((kind) => pagesOf(contents, kind))
}

function pageList (contents: AdvisoryContents & Partial<SiteContents>, kind: PageKind): string[] {
  const sorted = <T>(map: Map<string, T>): string[] => [...map.keys()].sort()
  switch (kind) {
    case 'pages': return ['/', ...furtherPages('/', contents.total, listPageSizes.list), '/products', '/feeds', '/docs/api', '/stats',
      ...sorted(contents.products).flatMap((p) => [urls.product(p), ...furtherPages(urls.product(p), contents.products.get(p)!, listPageSizes.list)])]
    case 'advisories': return sorted(contents.advisories)
    case 'cves': return sorted(contents.cves!).flatMap((c) => [urls.cve(c), ...furtherPages(urls.cve(c), contents.cves!.get(c)!, listPageSizes.cve)])
    case 'packages': return sorted(contents.packages!).flatMap((n) => [urls.package(n), ...furtherPages(urls.package(n), contents.packages!.get(n)!, listPageSizes.package)])
  }
}
