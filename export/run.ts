// One export: builds the live server's app over the database (read-only, the same public URL), lists every
// exported URL in one snapshot, renders and places them a few at a time, then deletes what is gone and
// writes the manifest. If an ingest changed the data meanwhile, another pass brings the tree up to date.
import type { FastifyInstance } from 'fastify'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from '../server/app.js'
import type { LogPosition } from '../db/site-index.js'
import { existsSync } from 'node:fs'
import type { ExportManifestStore } from '../db/export-manifest.js'
import type { ListedAdvisory } from '../db/site-index.js'
import { planDelta, type DeltaPlan } from './delta.js'
import { Journal, journalName } from './journal.js'
import { ManifestCache } from './manifest-cache.js'
import { documentsOf, manifestName, openManifest, readManifest, removeLegacyManifest, type FileEntry, type Manifest } from './manifest.js'
import { addSitemapKeys, documentKeys, keyOf, siteKey, type DocumentKeys } from './inputs.js'
import { urlsPerSitemap } from '../server/pages/sitemap.js'
import { programVersion } from './program-version.js'
import { bundleFromPrevious, type BundleSource } from './osv-bundle.js'
import { apiUrls } from '../server/api/present.js'
import { renderUrl } from './render.js'
import { exportUrls, groupOf, readContents, type ExportUrl } from './urls.js'
import { NeedsFullPass, TreeWriter, type TreeCounts } from './write-tree.js'

export interface ExportRun {
  outDir: string
  dbPath: string
  publicUrl: string
  /**
   * The live server the exported pages send search, filters and "Check a server" to (an origin); null or
   * absent: those are left out of the pages (docs/static-export.md, "Exported pages").
   */
  dynamicUrl?: string | null
  /** Per-CVE feeds are written, and the CVE pages link them in the copy rather than on the dynamic host. */
  cveFeeds: boolean
  verify: boolean
  force: boolean
  /** From this size on a document's .gz is made from parts and it has no .br (8 MB; tests make it smaller). */
  largeDocument?: number
}

export interface ExportSummary extends TreeCounts {
  outDir: string
  /** More than 1 when the data changed while exporting. */
  passes: number
  /** False when the data was still changing after the last pass: the files may mix two versions; run again. */
  settled: boolean
  /** Every pass was incremental (export/delta.ts): only what changed was looked at. */
  incremental: boolean
  /** Why the last pass that was not incremental looked at everything (a first export, a new program, ...); null when none. */
  fullBecause: string | null
  /**
   * How the last incremental pass found what changed: from the database's log of changed advisories (a revision),
   * or by reading every advisory (advisories came, went or moved); null without an incremental pass.
   */
  changesFrom: 'log' | 'all' | null
  seconds: number
  /** Seconds spent in each step, summed over the passes: where an export's time goes (docs/benchmarks.md). */
  steps: ExportSteps
}

/** open: the database and the app; plan: listing or comparing what changed; place: rendering, keeping and writing; finish: deleting and the manifest. */
export interface ExportSteps { open: number, plan: number, place: number, finish: number }

/** Adds the time since the last lap to a step. */
class StepClock {
  readonly steps: ExportSteps = { open: 0, plan: 0, place: 0, finish: 0 }
  private last = performance.now()
  lap (step: keyof ExportSteps): void {
    const now = performance.now()
    this.steps[step] += (now - this.last) / 1000
    this.last = now
  }

  rounded (): ExportSteps {
    const r = (s: number): number => Math.round(s * 1000) / 1000
    return { open: r(this.steps.open), plan: r(this.steps.plan), place: r(this.steps.place), finish: r(this.steps.finish) }
  }
}

/** What a caller is told while the export runs (a progress bar on a terminal). */
export interface ExportProgress {
  start: (total: number) => void
  advance: () => void
  stop: () => void
}

export class ExportDirError extends Error { override name = 'ExportDirError' }
export class ExportDatabaseError extends Error { override name = 'ExportDatabaseError' }

/**
 * Documents rendered and written at once: enough to overlap rendering, compression and the disk. A document
 * holds its place until its .gz and .br are made on libuv's threads, where they queue behind the OSV bundle's
 * work: with 8, the renders waited for places (one revised advisory at 20,000: placing took 0.1 to 0.3 s
 * longer than with 32 in four alternating rounds).
 */
const concurrency = 32
const maxPasses = 3

const silent: ExportProgress = { start: () => {}, advance: () => {}, stop: () => {} }

export async function runExport (run: ExportRun, progress: ExportProgress = silent): Promise<ExportSummary> {
  const started = performance.now()
  const clock = new StepClock()
  // The database first: a missing or outdated one is refused before anything is made in the output directory.
  const app = await openApp(run)
  let journal: Journal | null = null
  let store: ExportManifestStore | null = null
  try {
    await mkdir(run.outDir, { recursive: true })
    const legacy = existsSync(join(run.outDir, manifestName)) ? null : readManifest(run.outDir)
    if (legacy === null && !existsSync(join(run.outDir, manifestName)) && !run.force) await refuseForeignDir(run.outDir)
    journal = await Journal.open(run.outDir)
    store = openManifest(run.outDir, true)!
    clock.lap('open')
    const totals = { written: 0, deleted: 0 }
    let counts: TreeCounts
    let passes = 0
    let changed: boolean
    let fullBecause: string | null = null
    let changesFrom: ExportSummary['changesFrom'] = null
    do {
      passes++
      const before = stampOf(app)
      const pass = await exportPass(app, run, { store, legacy: passes === 1 ? legacy : null, leftover: passes === 1 ? journal.leftover : [] }, journal, progress, clock)
      counts = pass.counts
      fullBecause = pass.fullBecause ?? fullBecause
      changesFrom = pass.changesFrom ?? changesFrom
      totals.written += counts.written
      totals.deleted += counts.deleted
      const after = stampOf(app)
      changed = after.generation !== before.generation || after.state !== before.state
    } while (changed && passes < maxPasses)
    if (legacy !== null) removeLegacyManifest(run.outDir)
    await journal.close()
    return { outDir: run.outDir, ...counts, ...totals, passes, settled: !changed, incremental: fullBecause === null, fullBecause, changesFrom, seconds: Math.round((performance.now() - started) / 100) / 10, steps: clock.rounded() }
  } catch (err) {
    await journal?.abandon()
    throw err
  } finally {
    store?.close()
    progress.stop()
    await app.close()
  }
}

/**
 * The live server's app over the database, rendering pages for a static copy (no link there needs a query
 * string or a form); one that cannot be opened is the operator's to fix, not a bug.
 */
async function openApp (run: ExportRun): Promise<FastifyInstance> {
  try {
    return await buildApp({ dbPath: run.dbPath, publicUrl: run.publicUrl, dynamicUrl: run.dynamicUrl ?? null, cveFeeds: run.cveFeeds, compileSchemasOnFirstUse: true })
  } catch (err) {
    throw new ExportDatabaseError((err as Error).message)
  }
}

/** A first export goes into a new or empty directory only, unless the operator says otherwise. */
async function refuseForeignDir (outDir: string): Promise<void> {
  const entries = (await readdir(outDir)).filter((e) => e !== journalName)
  if (entries.length > 0) {
    throw new ExportDirError(`${outDir} is not empty and holds no export manifest (${manifestName}): give a new or empty directory, or --force to export into it (files at the export's paths are overwritten, nothing else is touched)`)
  }
}

/**
 * The data's stamp, which repos fail and where the log of changed advisories is, read in one snapshot before the
 * data itself (the manifest records them: the next export reads the changes after this log position).
 */
function stampOf (app: FastifyInstance): { generation: number, changedAt: string, state: number, health: string, log: LogPosition } {
  return app.data.read((stamp) => ({ generation: stamp.generation, changedAt: stamp.changedAt, state: stamp.stateGeneration, health: app.summary.repoHealthKey(), log: app.siteIndex.logPosition() }))
}

/** What a pass compares with: the manifest, or (once) an earlier version's, and what a killed run may have written. */
interface Previous { store: ExportManifestStore, legacy: Manifest | null, leftover: string[] }

/**
 * One pass: incremental when the last export was made under the same site key and left nothing unrecorded
 * (export/delta.ts), else full: every URL listed, every document's key compared with the manifest's.
 */
async function exportPass (app: FastifyInstance, run: ExportRun, previous: Previous, journal: Journal, progress: ExportProgress, clock: StepClock): Promise<{ counts: TreeCounts, fullBecause: string | null, changesFrom?: DeltaPlan['read'] }> {
  const stamp = stampOf(app)
  const site = siteKey({
    program: programVersion(),
    publicUrl: run.publicUrl,
    dynamicUrl: run.dynamicUrl ?? null,
    cveFeeds: run.cveFeeds,
    vocabulary: app.data.vocabulary(),
    // What a product's pages, API documents and OSV records show of its configuration (package manager, source repo, key).
    products: app.data.read(() => app.summary.productSettingsKey())
  })
  const data = { generation: stamp.generation, changedAt: stamp.changedAt, health: stamp.health, site, log: stamp.log }
  const previousData = (previous.legacy?.data ?? previous.store.data()) as Manifest['data']
  let fullBecause = previous.legacy !== null
    ? 'the manifest is an earlier version\'s'
    : previous.leftover.length > 0
      ? 'a killed run left files unrecorded'
      : run.verify ? '--verify' : previousData === null ? 'no export yet' : previousData.site !== site ? 'the program, the URLs or the vocabulary changed' : null
  if (fullBecause === null) {
    const manifest = new ManifestCache(previous.store)
    const plan = planDelta(app, manifest, { cveFeeds: run.cveFeeds, since: previousData?.log ?? null })
    clock.lap('plan')
    if (plan === null) fullBecause = 'too many advisories changed'
    else {
      const written = new Set<string>()
      try {
        return { counts: await incrementalPass(app, run, plan, { store: previous.store, data, previousData, written }, manifest, journal, progress, clock), fullBecause: null, changesFrom: plan.read }
      } catch (err) {
        if (!(err instanceof NeedsFullPass)) throw err
        fullBecause = err.message
        // What the incremental pass wrote is compared again, like a killed run's files.
        previous.leftover = [...written]
      }
    }
  }
  return { counts: await fullPass(app, run, previous, { data, previousData }, journal, progress, clock), fullBecause }
}

interface Commit { store: ExportManifestStore, data: Manifest['data'], previousData: Manifest['data'], written: Set<string> }

async function incrementalPass (app: FastifyInstance, run: ExportRun, plan: DeltaPlan, commit: Commit, manifest: ManifestCache, journal: Journal, progress: ExportProgress, clock: StepClock): Promise<TreeCounts> {
  const store = commit.store
  const files = manifest
  const documents = manifest.byUrl
  const writer = new TreeWriter(run.outDir, files, journal, false, documents, store, commit.written, store, run.largeDocument)
  const changed = (a: ListedAdvisory): boolean => plan.changed.has(a.pk)
  await placeAll(app, run, { list: plan.place, keys: plan.keys, index: plan.listed, writer, source: { outDir: run.outDir, previous: files, documents, changed, baseUrl: run.publicUrl, verify: run.verify, largeDocument: writer.largeDocument, previousGzip: (path) => writer.previousGzip(path), reserve: async (url, type) => await writer.reserve(url, type) } }, progress)
  clock.lap('place')
  const counts = await writer.finish(store, { kind: 'incremental', gone: plan.gone }, commit.data, commit.previousData, plan.advisories, plan.listed)
  clock.lap('finish')
  return counts
}

async function fullPass (app: FastifyInstance, run: ExportRun, previous: Previous, commit: Omit<Commit, 'store' | 'written'>, journal: Journal, progress: ExportProgress, clock: StepClock): Promise<TreeCounts> {
  const contents = readContents(app)
  const list = exportUrls(contents, { cveFeeds: run.cveFeeds })
  const keys = documentKeys(contents.index)
  addSitemapKeys(keys, contents.site, urlsPerSitemap)
  for (const url of list) if (url.grp === groupOf.static) keys.set(url.url, 'static')
  // The files the last manifest lists, and (without a hash) those a killed run may have written: such a file
  // may hold other bytes than the manifest says, so it is rendered and compared again.
  const files: Map<string, FileEntry | null> = previous.legacy?.files ?? previous.store.allFiles()
  for (const file of previous.leftover) files.set(file, null)
  // Documents are kept by their keys only under the site key they were made with.
  const documents = commit.previousData?.site === commit.data?.site ? documentsOf(files) : new Map()
  clock.lap('plan')
  const writer = new TreeWriter(run.outDir, files, journal, run.verify, documents, null, new Set(), previous.legacy === null ? previous.store : null, run.largeDocument)
  const changed = (a: ListedAdvisory): boolean => {
    const osvUrl = apiUrls.advisoryOsv(a.product, a.id)
    return documents.get(osvUrl)?.input !== keys.get(osvUrl)
  }
  await placeAll(app, run, { list, keys, index: contents.index, writer, source: { outDir: run.outDir, previous: files, documents, changed, baseUrl: run.publicUrl, verify: run.verify, largeDocument: writer.largeDocument, previousGzip: (path) => writer.previousGzip(path), reserve: async (url, type) => await writer.reserve(url, type) } }, progress)
  clock.lap('place')
  const advisories = contents.index.map((a) => ({ product: a.product, id: a.id, version: a.version, severity: a.severity, withdrawn: a.withdrawn, newest: a.newest, cves: a.cves, names: a.names }))
  // From an earlier version's manifest, every entry goes into the new one.
  const counts = await writer.finish(previous.store, { kind: 'full', all: previous.legacy !== null }, commit.data, commit.previousData, { all: advisories }, contents.index)
  clock.lap('finish')
  return counts
}

interface Placing { list: ExportUrl[], keys: DocumentKeys, index: ListedAdvisory[], writer: TreeWriter, source: BundleSource }

/** Keeps each document whose key holds, renders and places the others (a product's OSV bundle from its previous copy). */
async function placeAll (app: FastifyInstance, run: ExportRun, placing: Placing, progress: ExportProgress): Promise<void> {
  const host = new URL(run.publicUrl).host
  const { writer, keys } = placing
  progress.start(placing.list.length)
  // The largest documents first, compressed on the thread pool while the rest is rendered: the OSV bundles (tens
  // of megabytes each), then the sitemaps (up to 50,000 URLs each). Rendered last, a sitemap's compression was the
  // run's tail (one revised advisory at 20,000: about 0.1 s with nothing else left to do).
  const rank = (u: ExportUrl): number => u.grp.startsWith('bundle ') ? 0 : u.grp === groupOf.sitemap ? 1 : 2
  const largestFirst = [0, 1, 2].flatMap((r) => placing.list.filter((u) => rank(u) === r))
  await eachLimited(largestFirst, concurrency, async (url) => {
    const key = keyOf(keys, url.url)
    if (key === null || !writer.keep(url.url, key, url.grp)) {
      const product = url.grp.startsWith('bundle ') ? url.grp.slice('bundle '.length) : undefined
      const bundle = product === undefined ? null : await bundleFromPrevious(app, url, product, placing.index, placing.source)
      if (bundle !== null && !('body' in bundle)) await writer.putWritten(bundle, key)
      else await writer.put(bundle ?? await renderUrl(app, url, host), key)
    }
    progress.advance()
  })
}

/** Runs `work` over the URLs with at most `limit` at once; the first failure stops the rest and is thrown. */
async function eachLimited (urls: ExportUrl[], limit: number, work: (url: ExportUrl) => Promise<void>): Promise<void> {
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (failure === null && next < urls.length) {
      const url = urls[next++]!
      try {
        await work(url)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  if (failure !== null) throw (failure as { error: unknown }).error
}
