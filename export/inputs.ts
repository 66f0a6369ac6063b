// What each exported document shows, as a short key made from the site index: a re-export renders a document
// again only when its key differs from the one the manifest recorded for it (docs/static-export.md,
// "Incremental"). A key covers the versions of the advisories the document lists and what else it counts
// (a list's total); what every page shows (the program, the public and dynamic URLs, the products, the
// vocabulary) is the "site" key, which renders everything again when it changes. Documents without a key
// (the first list pages, the products page, the feeds index, /stats, openapi.json and a few more) are
// rendered every time.
import { createHash } from 'node:crypto'
import type { IndexedAdvisory, ListedAdvisory } from '../db/site-index.js'
import { apiUrls } from '../server/api/present.js'
import { advisoriesPerPage } from '../server/api/advisories.js'
import { feedFormats } from '../server/feeds/feed-links.js'
import { feedLimit } from '../server/feeds/feeds.js'
import { urls } from '../server/format.js'
import { listPageSizes, pageKinds, pagesOf, type SiteContents } from '../server/pages/site-contents.js'
import { sitemapFiles } from '../server/pages/sitemap.js'

/** URL -> key of what it shows (further pages of a CVE or package: see keyOf). */
export type DocumentKeys = Map<string, string>

/** The key of a URL's document, or null when it is rendered every time. */
export function keyOf (keys: DocumentKeys, url: string): string | null {
  const key = keys.get(url)
  if (key !== undefined) return key
  // `/cve/<CVE>/page/<n>` and `/packages/<name>/page/<n>` show the same advisories as their first page.
  if (!url.includes('/page/')) return null
  const further = /^(\/(?:cve|packages)\/[^/]+)\/page\/\d+$/.exec(url)
  return further === null ? null : keys.get(further[1]!) ?? null
}

/** Bump when a key's recipe changes: the next export then renders everything once. */
const recipe = 'keys/1'

const enc = encodeURIComponent

/** The key of what every page shows; an export made under another one renders everything. */
export function siteKey (parts: Record<string, unknown>): string {
  return digest(JSON.stringify({ recipe, ...parts }))
}

function digest (text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24)
}

/**
 * Groups of advisories in the lists' order, each hashed once at the end: a list page, feed or bundle key is the
 * hash of its members' tokens, a line each (one hash update per token cost 0.3 s at 20,000 advisories).
 */
class Groups {
  private readonly tokens = new Map<string, string[]>()

  add (group: string, token: string): void {
    const members = this.tokens.get(group)
    if (members === undefined) this.tokens.set(group, [token])
    else members.push(token)
  }

  /** Each group's key, with what the group's documents also show (a total) mixed in. */
  keys (extra: (group: string) => string): Map<string, string> {
    return new Map([...this.tokens].map(([group, members]) => [group, createHash('sha256').update(`${members.join('\n')}\n${extra(group)}`).digest('hex').slice(0, 24)]))
  }
}

const feedsOf = (path: string): string[] => feedFormats.map((f) => `${path}.${f.ext}`)

/** Further list pages share the list's key scheme: `/x` is page 1, `/x/page/n` the rest. */
const listPage = (path: string, page: number): string => page === 1 ? path : `${path === '/' ? '' : path}/page/${page}`

const tokenOf = (a: ListedAdvisory): string => `${a.product}\t${a.id}\t${a.version}`

/** The key of every document: one advisory's, a list's, a CVE's or a package's (export/urls.ts groups them). */
export function documentKeys (index: IndexedAdvisory[]): DocumentKeys {
  const keys = listKeys(index)
  const cves = new Map<string, ListedAdvisory[]>()
  const names = new Map<string, ListedAdvisory[]>()
  const join = (map: Map<string, ListedAdvisory[]>, name: string, a: ListedAdvisory): void => {
    const members = map.get(name)
    if (members === undefined) map.set(name, [a])
    else members.push(a)
  }
  for (const a of index) {
    addAdvisoryKeys(keys, a)
    for (const cve of a.cves) join(cves, cve, a)
    for (const name of a.names) join(names, name, a)
  }
  for (const [cve, members] of cves) addMemberKeys(keys, 'cve', cve, members)
  for (const [name, members] of names) addMemberKeys(keys, 'package', name, members)
  return keys
}

/** An advisory's own documents (its page, JSON and OSV record) show it alone. */
export function addAdvisoryKeys (keys: DocumentKeys, a: ListedAdvisory): void {
  const own = digest(tokenOf(a))
  keys.set(urls.advisory(a.product, a.id), own)
  keys.set(apiUrls.advisory(a.product, a.id), own)
  keys.set(apiUrls.advisoryOsv(a.product, a.id), own)
}

/** A CVE's or a package's documents (pages, lookup, feeds) show its advisories, `members` in list order. */
export function addMemberKeys (keys: DocumentKeys, kind: 'cve' | 'package', name: string, members: ListedAdvisory[]): void {
  const hash = createHash('sha256')
  for (const a of members) hash.update(tokenOf(a)).update('\n')
  const key = hash.digest('hex').slice(0, 24)
  const documents = kind === 'cve'
    ? [urls.cve(name), `/api/v1/cves/${enc(name)}`, ...feedsOf(`/feeds/cve/${enc(name)}`)]
    : [urls.package(name), `/api/v1/packages/${enc(name)}`, ...feedsOf(`/feeds/packages/${enc(name)}`)]
  for (const url of documents) keys.set(url, key)
}

/**
 * The keys of the documents that list advisories across the site, from every advisory in list order: the
 * list pages, the API's numbered pages, the OSV bundles and the feeds of everything, a product or a severity.
 * Cheap enough to make on every export (no CVEs or names needed).
 */
export function listKeys (index: ListedAdvisory[]): DocumentKeys {
  const groups = new Groups()
  const perProduct = new Map<string, number>()
  const feedCounts = new Map<string, number>()
  const inFeed = (feed: string, token: string): void => {
    const n = feedCounts.get(feed) ?? 0
    if (n >= feedLimit.default) return
    feedCounts.set(feed, n + 1)
    groups.add(feed, token)
  }
  // Group names by product and page, made once each (not once per advisory: 20,000 x 4 strings).
  const sitePages: string[] = []
  const named = new Map<string, { pages: string[], api: string[], bundle: string }>()
  index.forEach((a, i) => {
    const token = tokenOf(a)
    const j = perProduct.get(a.product) ?? 0
    perProduct.set(a.product, j + 1)
    let product = named.get(a.product)
    if (product === undefined) named.set(a.product, product = { pages: [], api: [], bundle: `bundle ${a.product}` })
    const page = Math.floor(i / listPageSizes.list) + 1
    const productPage = Math.floor(j / listPageSizes.list) + 1
    const apiPage = Math.floor(j / advisoriesPerPage) + 1
    groups.add(sitePages[page] ??= `page ${listPage('/', page)}`, token)
    groups.add(product.pages[productPage] ??= `page ${listPage(urls.product(a.product), productPage)}`, token)
    groups.add(product.api[apiPage] ??= `api ${apiUrls.advisoryPage(a.product, apiPage)}`, token)
    groups.add(product.bundle, token)
    if (!a.withdrawn) {
      // Feeds list the newest active advisories, up to their default length, in this same order.
      inFeed('/feeds/advisories', token)
      inFeed(`/feeds/${enc(a.product)}`, token)
      inFeed(`/feeds/severity/${enc(a.severity ?? 'none')}`, token)
    }
  })
  const productOfPage = (path: string): string | null => {
    if (path === '/' || path.startsWith('/page/')) return null
    return decodeURIComponent(path.slice(1).split('/')[0]!)
  }
  // A list page shows its list's total and number of pages; an API page links the next one.
  const totals = (group: string): string => {
    const [kind, path] = group.split(' ', 2) as [string, string]
    if (kind === 'page') {
      const product = productOfPage(path)
      return `total ${product === null ? index.length : perProduct.get(product)!}`
    }
    if (kind === 'api') return `total ${perProduct.get(decodeURIComponent(path.split('/')[4]!))!}`
    return ''
  }
  const keys: DocumentKeys = new Map()
  for (const [group, key] of groups.keys(totals)) {
    const [kind, name] = group.split(' ', 2) as [string, string]
    switch (kind) {
      // The first page of a list opens with what happened lately across the site (server/stats/recent.ts):
      // it has no key, and is made on every export.
      case 'page': if (name === '/' || /^\/[^/]+$/.test(name)) break; keys.set(name, key); break
      case 'api': keys.set(name, key); break
      case 'bundle': keys.set(apiUrls.osvBundle(name), key); break
      default: for (const url of feedsOf(group)) keys.set(url, key)
    }
  }
  return keys
}

/** A sitemap lists pages of one kind, each advisory page with its date: its key is those; the index's, the files. */
export function addSitemapKeys (keys: DocumentKeys, contents: SiteContents, perSitemap: number): void {
  for (const kind of pageKinds) {
    const pages = pagesOf(contents, kind)
    for (let n = 1; (n - 1) * perSitemap < pages.length; n++) {
      const hash = createHash('sha256')
      for (const url of pages.slice((n - 1) * perSitemap, n * perSitemap)) hash.update(`${url} ${contents.advisories.get(url) ?? ''}\n`)
      keys.set(`/sitemaps/${kind}-${n}.xml`, hash.digest('hex').slice(0, 24))
    }
  }
  keys.set('/sitemap.xml', digest(sitemapFiles((kind) => pagesOf(contents, kind).length).join(' ')))
}
