// Every public URL the export writes, read from the database through the app's stores in one snapshot
// (server/pages/site-contents.ts, which the sitemap reads too): the pages, the feeds and the API documents,
// in a fixed order, so the same data gives the same list.
import type { FastifyInstance } from 'fastify'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../db/paths.js'
import { advisoriesPerPage } from '../server/api/advisories.js'
import { apiUrls } from '../server/api/present.js'
import { feedFormats } from '../server/feeds/feed-links.js'
import { feedSeverities } from '../server/feeds/feeds.js'
import type { IndexedAdvisory } from '../db/site-index.js'
import { contentsOf, furtherPages, listPageSizes, pagesOf, type PageKind, type SiteContents } from '../server/pages/site-contents.js'
import { urls } from '../server/format.js'
import { sitemapFiles } from '../server/pages/sitemap.js'

/**
 * One document to export: its URL, the status the app must answer for it, and its group: the documents whose
 * contents change together (an advisory's page, JSON and OSV record; a CVE's pages, lookup and feeds; a list's
 * pages), which an incremental export renders or deletes as one (export/delta.ts).
 */
export interface ExportUrl { url: string, status: 200 | 404, grp: string }

export interface UrlListOptions {
  /** Per-CVE feeds: three files per CVE, the biggest group by far (docs/static-export.md); off by default. */
  cveFeeds: boolean
}

/** What the URLs are made from, read in one snapshot: the site's contents (as the sitemap reads them). */
export interface ExportContents {
  /** Every advisory, in the lists' order (what the documents' keys are made from: export/inputs.ts). */
  index: IndexedAdvisory[]
  site: SiteContents
  /** The severities with a feed: those the data uses, and `none`. */
  severities: string[]
}

/**
 * Answered for any unknown path; written as `404.html`. The app's not-found page names the path it was
 * asked for, so this one reads as a placeholder. TODO(issue 15): a path-neutral 404 body from the server.
 */
export const notFoundUrl = '/404/not/found'

const enc = encodeURIComponent

/** Everything the URLs are made from, in one read snapshot of the data. */
export function readContents (app: FastifyInstance): ExportContents {
  return app.data.read(() => {
    const vocabulary = app.data.vocabulary()
    const index = app.siteIndex.read()
    return { index, site: contentsOf(index, vocabulary.products.map((p) => p.id)), severities: feedSeverities(vocabulary.severities) }
  })
}

const feedsOf = (path: string): string[] => feedFormats.map((f) => `${path}.${f.ext}`)

/** The groups' names (ExportUrl.grp). */
export const groupOf = {
  advisory: (product: string, id: string): string => `adv ${urls.advisory(product, id)}`,
  list: (path: string): string => `list ${path}`,
  apiPages: (product: string): string => `api ${product}`,
  bundle: (product: string): string => `bundle ${product}`,
  feed: (path: string): string => `feed ${path}`,
  cve: (cve: string): string => `cve ${cve}`,
  package: (name: string): string => `package ${name}`,
  /** Documents about the whole site (the products page and API, the statistics): rendered every time. */
  site: 'site',
  sitemap: 'sitemap',
  /** public/, the feeds index, the API description, robots.txt, the 404 page: change only with the site key. */
  static: 'static'
} as const

const group = (grp: string, list: string[]): ExportUrl[] => list.map((url) => ({ url, status: 200, grp }))

/** An advisory's page, JSON and OSV record. */
export function advisoryUrls (product: string, id: string): ExportUrl[] {
  return group(groupOf.advisory(product, id), [urls.advisory(product, id), apiUrls.advisory(product, id), apiUrls.advisoryOsv(product, id)])
}

/** A CVE's pages and lookup (and feeds, with --cve-feeds), for `count` advisories fixing it. */
export function cveUrls (cve: string, count: number, cveFeeds: boolean): ExportUrl[] {
  return group(groupOf.cve(cve), [urls.cve(cve), ...furtherPages(urls.cve(cve), count, listPageSizes.cve), `/api/v1/cves/${enc(cve)}`,
    ...(cveFeeds ? feedsOf(`/feeds/cve/${enc(cve)}`) : [])])
}

/** A package name's pages, lookup and feeds, for `count` advisories touching it. */
export function packageUrls (name: string, count: number): ExportUrl[] {
  return group(groupOf.package(name), [urls.package(name), ...furtherPages(urls.package(name), count, listPageSizes.package),
    `/api/v1/packages/${enc(name)}`, ...feedsOf(`/feeds/packages/${enc(name)}`)])
}

/**
 * The documents that list advisories across the site: the home list and each product's (paged), the feeds of
 * everything, each product and each severity, each product's numbered API pages and OSV bundle.
 */
export function listUrls (site: Pick<SiteContents, 'products' | 'total'>, severities: string[]): ExportUrl[] {
  const products = [...site.products.keys()].sort()
  return [
    ...group(groupOf.list('/'), ['/', ...furtherPages('/', site.total, listPageSizes.list)]),
    ...products.flatMap((p) => group(groupOf.list(urls.product(p)), [urls.product(p), ...furtherPages(urls.product(p), site.products.get(p)!, listPageSizes.list)])),
    ...group(groupOf.feed('/feeds/advisories'), feedsOf('/feeds/advisories')),
    ...products.flatMap((p) => group(groupOf.feed(`/feeds/${enc(p)}`), feedsOf(`/feeds/${enc(p)}`))),
    ...severities.flatMap((s) => group(groupOf.feed(`/feeds/severity/${enc(s)}`), feedsOf(`/feeds/severity/${enc(s)}`))),
    ...products.flatMap((p) => [
      ...group(groupOf.apiPages(p), Array.from({ length: Math.max(1, Math.ceil(site.products.get(p)! / advisoriesPerPage)) }, (_, i) => apiUrls.advisoryPage(p, i + 1))),
      ...group(groupOf.bundle(p), [apiUrls.osvBundle(p)])
    ])
  ]
}

/** Documents about the whole site, rendered on every export (they show the repos' last runs, or count everything). */
export function siteUrls (): ExportUrl[] {
  return group(groupOf.site, ['/products', '/api/v1/products', '/stats', '/api/v1/stats', '/api/v1/stats.csv'])
}

/**
 * Documents that show only what the site key covers (the program, the URLs, the products, severities and
 * types): the feeds index, the API description, robots.txt, the 404 page, and the files under public/.
 */
function staticUrls (): ExportUrl[] {
  const root = join(projectRoot, 'public')
  // The site icon is asked for at /favicon.ico by browsers and feed readers (nothing links /static/favicon.ico).
  const files = readdirSync(root, { recursive: true }).map(String).filter((f) => f !== 'favicon.ico' && statSync(join(root, f)).isFile()).sort()
  return [
    ...group(groupOf.static, ['/feeds', '/docs/api', '/robots.txt', '/openapi.json', '/favicon.ico', ...files.map((f) => `/static/${f.split('/').map(enc).join('/')}`)]),
    { url: notFoundUrl, status: 404, grp: groupOf.static }
  ]
}

/** The sitemap index and its sitemaps, for `count` pages of each kind. */
export function sitemapUrls (count: (kind: PageKind) => number): ExportUrl[] {
  return group(groupOf.sitemap, ['/sitemap.xml', ...sitemapFiles(count)])
}

/** The one list of exported URLs, by group. Path-only URLs the server adds later are added to a group here. */
export function exportUrls (contents: ExportContents, options: UrlListOptions): ExportUrl[] {
  const { site, severities } = contents
  const sorted = (map: Map<string, unknown>): string[] => [...map.keys()].sort()
  return [
    ...siteUrls(),
    ...sitemapUrls((kind) => pagesOf(site, kind).length),
    ...listUrls(site, severities),
    ...sorted(site.advisories).flatMap((page) => {
      const [product, id] = page.slice(1).split('/').map(decodeURIComponent) as [string, string]
      return advisoryUrls(product, id)
    }),
    ...sorted(site.cves).flatMap((cve) => cveUrls(cve, site.cves.get(cve)!, options.cveFeeds)),
    ...sorted(site.packages).flatMap((name) => packageUrls(name, site.packages.get(name)!)),
    ...staticUrls()
  ]
}
