// Every public URL the export writes, read from the database through the app's stores in one snapshot:
// the pages, the feeds and the API documents, in a fixed order, so the same data gives the same list.
import type { FastifyInstance } from 'fastify'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { emptyFilter, type Position } from '../db/advisory-query.js'
import { projectRoot } from '../db/paths.js'
import { feedFormats } from '../server/feeds/feed-links.js'
import { feedSeverities } from '../server/feeds/feeds.js'
import { urls } from '../server/format.js'

/** One document to export: its URL, and the status the app must answer for it. */
export interface ExportUrl { url: string, status: 200 | 404 }

export interface UrlListOptions {
  /** Per-CVE feeds: three files per CVE, the biggest group by far (docs/static-export.md); off by default. */
  cveFeeds: boolean
}

/** What the URLs are made from, read in one snapshot. */
export interface ExportContents {
  /** Products with a list page and a feed (every product that has advisories, removed ones too). */
  products: string[]
  /** `/<product>/<ID>` of every advisory, withdrawn ones included (their pages stay). */
  advisories: string[]
  cves: string[]
  /** Binary and source package names: a package page answers either. */
  packages: string[]
  /** The severities with a feed: those the data uses, and `none`. */
  severities: string[]
}

/**
 * Answered for any unknown path; written as `404.html`. The app's not-found page names the path it was
 * asked for, so this one reads as a placeholder. TODO(issue 15): a path-neutral 404 body from the server.
 */
export const notFoundUrl = '/404/not/found'

const enc = encodeURIComponent
const batch = 500

/** Everything the URLs are made from, in one read snapshot of the data. */
export function readContents (app: FastifyInstance): ExportContents {
  return app.data.read(() => {
    const advisories: string[] = []
    const cves = new Set<string>()
    const packages = new Set<string>()
    let after: Position | null = null
    for (;;) {
      const { items, positions } = app.lists.listAfter(emptyFilter, batch, after)
      if (items.length === 0) break
      for (const a of items) {
        advisories.push(urls.advisory(a.product, a.id))
        for (const cve of a.cves) cves.add(cve)
      }
      for (const rows of app.lists.packagesOf(items.map((a) => a.pk), null).values()) {
        for (const p of rows) {
          packages.add(p.name)
          if (p.src_name !== null) packages.add(p.src_name)
        }
      }
      after = positions[positions.length - 1]!
    }
    const vocabulary = app.summary.vocabulary()
    return {
      products: vocabulary.products.map((p) => p.id),
      severities: feedSeverities(vocabulary.severities),
      advisories,
      cves: [...cves].sort(),
      packages: [...packages].sort()
    }
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
  const { products, advisories, cves, packages, severities } = contents
  const list: string[] = [
    // Pages
    '/', '/products', '/feeds', '/docs/api',
    ...products.map(urls.product),
    ...advisories,
    ...cves.map(urls.cve),
    ...packages.map(urls.package),
    // Feeds: everything, per product, per severity, per package (and per CVE when asked)
    ...feedsOf('/feeds/advisories'),
    ...products.flatMap((p) => feedsOf(`/feeds/${enc(p)}`)),
    ...severities.flatMap((s) => feedsOf(`/feeds/severity/${enc(s)}`)),
    ...packages.flatMap((name) => feedsOf(`/feeds/packages/${enc(name)}`)),
    ...(options.cveFeeds ? cves.flatMap((cve) => feedsOf(`/feeds/cve/${enc(cve)}`)) : []),
    // API documents
    '/openapi.json',
    '/api/v1/products',
    ...cves.map((cve) => `/api/v1/cves/${enc(cve)}`),
    ...packages.map((name) => `/api/v1/packages/${enc(name)}`),
    // Assets the pages load
    ...staticUrls()
    // TODO(issue 15): the path-only URLs planned in docs/static-export.md, once the server answers them:
    //  - list pages past the first: /page/<n>, /<product>/page/<n>, /cve/<CVE>/page/<n>, /packages/<name>/page/<n>
    //  - one advisory: /api/v1/products/<product>/advisories/<ID>.json and .../<ID>.osv.json
    //  - API list pages: /api/v1/products/<product>/advisories/page/<n>.json
    //  - the OSV bundle per product: /api/v1/osv/<product>/all.ndjson
    //  - sitemap.xml (split past 50,000 URLs) and robots.txt
  ]
  return [...list.map((url) => ({ url, status: 200 as const })), { url: notFoundUrl, status: 404 }]
}
