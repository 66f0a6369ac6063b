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

/** The site's contents from the database's counts (a fraction of reading every advisory's CVEs and names). */
export function readSiteContents (app: FastifyInstance): SiteContents {
  return app.data.read(() => {
    const counts = app.siteIndex.contents(Math.min(listPageSizes.cve, listPageSizes.package))
    const contents: SiteContents = { products: new Map(app.data.vocabulary().products.map((p) => [p.id, 0])), advisories: new Map(), cves: counts.cves, packages: counts.packages, total: 0 }
    for (const [product, id, newest] of counts.advisories) {
      contents.total++
      bump(contents.products, product)
      contents.advisories.set(urls.advisory(product, id), newest)
    }
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

/** Every HTML page of the site, in a fixed order (the same data gives the same list). */
export function pageUrls (contents: SiteContents): string[] {
  const sorted = <T>(map: Map<string, T>): string[] => [...map.keys()].sort()
  return [
    '/', ...furtherPages('/', contents.total, listPageSizes.list), '/products', '/feeds', '/docs/api', '/stats',
    ...sorted(contents.products).flatMap((p) => [urls.product(p), ...furtherPages(urls.product(p), contents.products.get(p)!, listPageSizes.list)]),
    ...sorted(contents.advisories),
    ...sorted(contents.cves).flatMap((c) => [urls.cve(c), ...furtherPages(urls.cve(c), contents.cves.get(c)!, listPageSizes.cve)]),
    ...sorted(contents.packages).flatMap((n) => [urls.package(n), ...furtherPages(urls.package(n), contents.packages.get(n)!, listPageSizes.package)])
  ]
}
