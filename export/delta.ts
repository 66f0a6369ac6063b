// An incremental export's plan: what changed since the last export and which documents show it, found without
// walking every document (docs/static-export.md, "Incremental"). The advisories are read in list order with
// their versions (no CVEs or names) and compared with those the manifest records; for each that changed,
// appeared or went, its own documents and the groups it is or was in (its CVEs', its packages') are placed
// again, with keys made as a full export makes them (export/inputs.ts), so a document whose key holds is kept.
// The lists, feeds, API pages and bundles are keyed from the advisories' order every time; the site-wide
// documents are rendered every time; the sitemaps when a page came, went or changed its date.
import type { FastifyInstance } from 'fastify'
import type { ListedAdvisories, StoredAdvisory } from '../db/export-manifest.js'
import type { ManifestCache } from './manifest-cache.js'
import type { ListedAdvisory, LogPosition } from '../db/site-index.js'
import { feedSeverities } from '../server/feeds/feeds.js'
import { pagesOf, readSiteContents, type PageKind } from '../server/pages/site-contents.js'
import { addAdvisoryKeys, addMemberKeys, listKeys, type DocumentKeys } from './inputs.js'
import { advisoryUrls, cveUrls, groupOf, listUrls, packageUrls, siteUrls, sitemapUrls, type ExportUrl } from './urls.js'

export interface DeltaPlan {
  /** The documents to place (each kept when its key holds), and their keys. */
  place: ExportUrl[]
  keys: DocumentKeys
  /** Files of documents no longer produced. */
  gone: string[]
  /** Advisories whose own documents and OSV lines are made again, by pk (a string key each cost the bundle 40 ms). */
  changed: Set<number>
  listed: ListedAdvisory[]
  advisories: { put: StoredAdvisory[], removed: Array<[string, string]> }
  /** How the changes were found: from the log of changed advisories, or by reading every advisory. */
  read: 'log' | 'all'
}

/** Past this many changed advisories a full pass (which reads everything once) costs less than one query each. */
const maxChanged = 1000

const keyOf = (a: { product: string, id: string }): string => `${a.product}\t${a.id}`

/** The plan, or null when only a full pass will do (many changes, or no record of the advisories). */
export function planDelta (app: FastifyInstance, manifest: ManifestCache, options: { cveFeeds: boolean, since: LogPosition | null }): DeltaPlan | null {
  return app.data.read(() => {
    const kept = manifest.store.listed()
    const logged = kept === null || options.since === null ? null : fromLog(app, kept, options.since)
    const listed = logged?.listed ?? app.siteIndex.listed()
    const found = logged?.found ?? inSameOrder(listed, kept) ?? byKey(listed, manifest.store.advisories())
    if (found === null) return null
    const { changed, previously, removed } = found
    if (changed.length + removed.length > maxChanged) return null
    const put = changed.map((a) => ({ product: a.product, id: a.id, version: a.version, severity: a.severity, withdrawn: a.withdrawn, newest: a.newest, ...app.siteIndex.groupsOf(a.pk) }))
    const plan = new Planner(app, manifest, listed, options.cveFeeds)
    plan.lists(app.data.vocabulary().products.map((p) => p.id), feedSeverities(app.data.vocabulary().severities))
    for (const a of changed) plan.advisory(a, a)
    for (const a of removed) plan.advisory(a, null)
    const before = [...removed, ...previously.values()].map((a) => manifest.store.groupsOf(a.product, a.id))
    for (const a of [...put, ...before]) {
      for (const cve of a.cves) plan.members('cve', cve)
      for (const name of a.names) plan.members('package', name)
    }
    plan.site()
    // Pages came or went: every sitemap may shift. Only dates moved: the advisories' sitemaps, the same files.
    if (plan.pagesMoved || removed.length > 0) plan.sitemaps((kind) => pagesOf(readSiteContents(app), kind).length)
    else if (changed.some((a) => previously.get(keyOf(a))?.newest !== a.newest)) plan.advisorySitemaps()
    return { place: plan.place, keys: plan.keys, gone: plan.gone, changed: new Set(changed.map((a) => a.pk)), listed, advisories: { put, removed: removed.map((a) => [a.product, a.id]) }, read: logged === null ? 'all' : 'log' }
  })
}

type Before = Omit<StoredAdvisory, 'cves' | 'names'>

/** What changed since the last export: advisories changed or new, what the changed ones were, and those gone. */
interface Found { changed: ListedAdvisory[], previously: Map<string, Before>, removed: Before[] }

const same = (a: ListedAdvisory, before: Before): boolean =>
  before.version === a.version && before.severity === a.severity && before.withdrawn === a.withdrawn && before.newest === a.newest

/**
 * When the advisories are the ones the last export kept, in the same order (none came, went or moved: an
 * advisory revised), compared position by position; else null. At 20,000 advisories this takes a fifth of
 * reading the manifest's rows and matching them by key.
 */
function inSameOrder (listed: ListedAdvisory[], kept: ListedAdvisories | null): Found | null {
  if (kept === null || kept.length !== listed.length) return null
  const changed: ListedAdvisory[] = []
  const previously = new Map<string, Before>()
  for (let i = 0; i < listed.length; i++) {
    const a = listed[i]!
    const row = kept[i]
    if (!Array.isArray(row)) return null
    const [product, id, version, severity, withdrawn, newest] = row
    if (product !== a.product || id !== a.id) return null
    if (version === a.version && severity === a.severity && (withdrawn === 1) === a.withdrawn && newest === a.newest) continue
    changed.push(a)
    previously.set(keyOf(a), { product, id, version, severity, withdrawn: withdrawn === 1, newest })
  }
  return { changed, previously, removed: [] }
}

/** At most this many changed advisories are read from the log, one by one (each one's place is counted along an index). */
const maxLogged = 100

/**
 * The advisories now, from the last export's kept list and the advisories the log says changed since (migration
 * 0008), when none came, went or moved in the list order (a revision: the common case): the kept list with the
 * changed ones in their places, read without reading every advisory (at 20,000: 0.2 s of the plan). Else null.
 */
function fromLog (app: FastifyInstance, kept: ListedAdvisories, since: LogPosition): { listed: ListedAdvisory[], found: Found } | null {
  if (since.database !== app.siteIndex.logPosition().database) return null
  const pks = app.siteIndex.changedSince(since.seq)
  if (pks === null || pks.length > maxLogged) return null
  const listed: ListedAdvisory[] = []
  const at = new Map<number, number>()
  for (const [product, id, version, severity, withdrawn, newest, pk] of kept) {
    // A kept list from before the log (no pks) cannot be patched.
    if (typeof pk !== 'number') return null
    at.set(pk, listed.push({ pk, product, id, version, severity, withdrawn: withdrawn === 1, newest }) - 1)
  }
  const now = app.siteIndex.listedAt(pks)
  if (now.length !== pks.length) return null
  const changed: ListedAdvisory[] = []
  const previously = new Map<string, Before>()
  for (const { advisory, at: place } of now) {
    const before = listed[place]
    if (at.get(advisory.pk) !== place || before === undefined || before.product !== advisory.product || before.id !== advisory.id) return null
    listed[place] = advisory
    if (same(advisory, before)) continue
    changed.push(advisory)
    previously.set(keyOf(advisory), { product: before.product, id: before.id, version: before.version, severity: before.severity, withdrawn: before.withdrawn, newest: before.newest })
  }
  return { listed, found: { changed, previously, removed: [] } }
}

/** Every advisory matched with the manifest's record of it by product and id; null when it has none (a full pass). */
function byKey (listed: ListedAdvisory[], stored: Map<string, Before>): Found | null {
  if (stored.size === 0 && listed.length > 0) return null
  const changed: ListedAdvisory[] = []
  const previously = new Map<string, Before>()
  for (const a of listed) {
    // What the last export saw; each advisory listed now is taken out, so what remains has gone.
    const key = keyOf(a)
    const before = stored.get(key)
    if (before !== undefined) stored.delete(key)
    if (before !== undefined && same(a, before)) continue
    changed.push(a)
    if (before !== undefined) previously.set(key, before)
  }
  return { changed, previously, removed: [...stored.values()] }
}

/** Collects, group by group, the documents to place and the files of those no longer produced. */
class Planner {
  readonly place: ExportUrl[] = []
  readonly keys: DocumentKeys = new Map()
  readonly gone: string[] = []
  /** A page was added or removed (the sitemaps list the pages). */
  pagesMoved = false
  private readonly done = new Set<string>()
  /** The advisories by pk, made when a CVE's or package's members are first looked up. */
  private byPk: Map<number, ListedAdvisory> | null = null

  constructor (private readonly app: FastifyInstance, private readonly store: ManifestCache,
    private readonly listed: ListedAdvisory[], private readonly cveFeeds: boolean) {}

  /** The lists, feeds, API pages and bundles: keyed from the advisories' order, each run. */
  lists (products: string[], severities: string[]): void {
    const counts = new Map(products.map((p) => [p, 0]))
    for (const a of this.listed) counts.set(a.product, (counts.get(a.product) ?? 0) + 1)
    for (const [url, key] of listKeys(this.listed)) this.keys.set(url, key)
    this.groups(listUrls({ products: counts, total: this.listed.length }, severities))
  }

  /** An advisory's own documents: placed again when it changed or came (`now`: as it is listed), deleted when it went. */
  advisory (a: { product: string, id: string }, now: ListedAdvisory | null): void {
    const urls = advisoryUrls(a.product, a.id)
    if (now !== null) addAdvisoryKeys(this.keys, now)
    this.group(urls[0]!.grp, now !== null ? urls : [])
  }

  /** A CVE's or a package's documents, from its advisories now (none: its documents go). */
  members (kind: 'cve' | 'package', name: string): void {
    const grp = kind === 'cve' ? groupOf.cve(name) : groupOf.package(name)
    if (this.done.has(grp)) return
    this.byPk ??= new Map(this.listed.map((a) => [a.pk, a]))
    const members = this.app.siteIndex.membersOf(kind, name).map((pk) => this.byPk!.get(pk)!)
    if (members.length > 0) addMemberKeys(this.keys, kind, name, members)
    const urls = members.length === 0 ? [] : kind === 'cve' ? cveUrls(name, members.length, this.cveFeeds) : packageUrls(name, members.length)
    this.group(grp, urls)
  }

  /** The products page and API, the feeds index, robots.txt, openapi.json, the 404 page: every time. */
  site (): void { this.groups(siteUrls()) }

  /** Rendered without a key: the next full export keys them again. */
  sitemaps (count: (kind: PageKind) => number): void { this.groups(sitemapUrls(count)) }

  /** The advisories' sitemaps the last export wrote, made again; every other sitemap is kept (nothing is deleted). */
  advisorySitemaps (): void {
    this.done.add(groupOf.sitemap)
    this.place.push(...this.store.documentsOf(groupOf.sitemap).filter((d) => d.url.startsWith('/sitemaps/advisories-')).map((d) => ({ url: d.url, status: 200 as const, grp: groupOf.sitemap })))
  }

  private groups (urls: ExportUrl[]): void {
    const byGroup = new Map<string, ExportUrl[]>()
    for (const url of urls) {
      const list = byGroup.get(url.grp)
      if (list === undefined) byGroup.set(url.grp, [url])
      else list.push(url)
    }
    for (const [grp, list] of byGroup) this.group(grp, list)
  }

  /** Places a group's documents; its previous documents it no longer has are gone, with their .gz and .br. */
  private group (grp: string, urls: ExportUrl[]): void {
    if (this.done.has(grp)) return
    this.done.add(grp)
    this.place.push(...urls)
    const produced = new Set(urls.map((u) => u.url))
    for (const previous of this.store.documentsOf(grp)) {
      if (produced.has(previous.url)) continue
      if (grp !== groupOf.sitemap) this.pagesMoved ||= !previous.url.startsWith('/api/') && !previous.url.startsWith('/feeds/')
      for (const path of [previous.path, `${previous.path}.gz`, `${previous.path}.br`]) if (this.store.file(path) !== undefined) this.gone.push(path)
    }
    // A page the previous export did not have (a new CVE, a list grown by a page) moves the sitemaps too.
    if (!this.pagesMoved && grp !== groupOf.sitemap) {
      this.pagesMoved = urls.some((u) => !u.url.startsWith('/api/') && !u.url.startsWith('/feeds/') && this.store.document(u.url) === undefined)
    }
  }
}
