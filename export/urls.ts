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
import { contentsOf, pageUrls, type SiteContents } from '../server/pages/site-contents.js'
import { urlsPerSitemap } from '../server/pages/sitemap.js'

/** One document to export: its URL, and the status the app must answer for it. */
export interface ExportUrl { url: string, status: 200 | 404 }

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

/** The files under public/ as the app serves them (`/static/<name>`). */
function staticUrls (): string[] {
  const root = join(projectRoot, 'public')
  return readdirSync(root, { recursive: true }).map(String).filter((f) => statSync(join(root, f)).isFile()).sort()
    .map((f) => `/static/${f.split('/').map(enc).join('/')}`)
}

/** The one list of exported URLs. Path-only URLs the server adds later are appended here. */
export function exportUrls (contents: ExportContents, options: UrlListOptions): ExportUrl[] {
  const { site, severities } = contents
  const sorted = (map: Map<string, unknown>): string[] => [...map.keys()].sort()
  const [products, cves, packages] = [sorted(site.products), sorted(site.cves), sorted(site.packages)]
  const pages = pageUrls(site)
  const list: string[] = [
    // Pages (every list page too), and what crawlers read
    ...pages,
    '/robots.txt',
    '/sitemap.xml',
    ...Array.from({ length: Math.max(1, Math.ceil(pages.length / urlsPerSitemap)) }, (_, i) => `/sitemaps/${i + 1}.xml`),
    // Feeds: everything, per product, per severity, per package (and per CVE when asked)
    ...feedsOf('/feeds/advisories'),
    ...products.flatMap((p) => feedsOf(`/feeds/${enc(p)}`)),
    ...severities.flatMap((s) => feedsOf(`/feeds/severity/${enc(s)}`)),
    ...packages.flatMap((name) => feedsOf(`/feeds/packages/${enc(name)}`)),
    ...(options.cveFeeds ? cves.flatMap((cve) => feedsOf(`/feeds/cve/${enc(cve)}`)) : []),
    // API documents: per product its numbered advisory pages and OSV bundle, per advisory its JSON and OSV
    '/openapi.json',
    '/api/v1/products',
    ...products.flatMap((p) => [
      ...Array.from({ length: Math.max(1, Math.ceil(site.products.get(p)! / advisoriesPerPage)) }, (_, i) => apiUrls.advisoryPage(p, i + 1)),
      apiUrls.osvBundle(p)
    ]),
    ...sorted(site.advisories).flatMap((page) => {
      const [product, id] = page.slice(1).split('/').map(decodeURIComponent) as [string, string]
      return [apiUrls.advisory(product, id), apiUrls.advisoryOsv(product, id)]
    }),
    ...cves.map((cve) => `/api/v1/cves/${enc(cve)}`),
    ...packages.map((name) => `/api/v1/packages/${enc(name)}`),
    // Assets the pages load
    ...staticUrls()
    // TODO(issue 15): path-only URLs the server adds later go here (docs/static-export.md lists them).
  ]
  return [...list.map((url) => ({ url, status: 200 as const })), { url: notFoundUrl, status: 404 }]
}
