// One export: builds the live server's app over the database (read-only, the same public URL), lists every
// exported URL in one snapshot, renders and places them a few at a time, then deletes what is gone and
// writes the manifest. If an ingest changed the data meanwhile, another pass brings the tree up to date.
import type { FastifyInstance } from 'fastify'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from '../server/app.js'
import { Journal, journalName } from './journal.js'
import { documentsOf, manifestName, readManifest, type FileEntry, type Manifest } from './manifest.js'
import { addSitemapKeys, documentKeys, keyOf, siteKey } from './inputs.js'
import { pageUrls } from '../server/pages/site-contents.js'
import { urlsPerSitemap } from '../server/pages/sitemap.js'
import { programVersion } from './program-version.js'
import { bundleFromPrevious } from './osv-bundle.js'
import { apiUrls } from '../server/api/present.js'
import { renderUrl } from './render.js'
import { exportUrls, readContents, type ExportUrl } from './urls.js'
import { TreeWriter, type TreeCounts } from './write-tree.js'

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
}

export interface ExportSummary extends TreeCounts {
  outDir: string
  /** More than 1 when the data changed while exporting. */
  passes: number
  /** False when the data was still changing after the last pass: the files may mix two versions; run again. */
  settled: boolean
  seconds: number
}

/** What a caller is told while the export runs (a progress bar on a terminal). */
export interface ExportProgress {
  start: (total: number) => void
  advance: () => void
  stop: () => void
}

export class ExportDirError extends Error { override name = 'ExportDirError' }
export class ExportDatabaseError extends Error { override name = 'ExportDatabaseError' }

/** Documents rendered and written at once: enough to overlap rendering, compression and the disk. */
const concurrency = 8
const maxPasses = 3

const silent: ExportProgress = { start: () => {}, advance: () => {}, stop: () => {} }

export async function runExport (run: ExportRun, progress: ExportProgress = silent): Promise<ExportSummary> {
  const started = performance.now()
  // The database first: a missing or outdated one is refused before anything is made in the output directory.
  const app = await openApp(run)
  let journal: Journal | null = null
  try {
    await mkdir(run.outDir, { recursive: true })
    let manifest = readManifest(join(run.outDir, manifestName))
    if (manifest === null && !run.force) await refuseForeignDir(run.outDir)
    journal = await Journal.open(run.outDir)
    const totals = { written: 0, deleted: 0 }
    let counts: TreeCounts
    let passes = 0
    let changed: boolean
    do {
      passes++
      const before = stampOf(app)
      const pass = await exportPass(app, run, previousOf(manifest, passes === 1 ? journal.leftover : []), journal, progress)
      counts = pass.counts
      manifest = pass.manifest
      totals.written += counts.written
      totals.deleted += counts.deleted
      const after = stampOf(app)
      changed = after.generation !== before.generation || after.state !== before.state
    } while (changed && passes < maxPasses)
    await journal.close()
    return { outDir: run.outDir, ...counts, ...totals, passes, settled: !changed, seconds: Math.round((performance.now() - started) / 100) / 10 }
  } catch (err) {
    await journal?.abandon()
    throw err
  } finally {
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
    return await buildApp({ dbPath: run.dbPath, publicUrl: run.publicUrl, dynamicUrl: run.dynamicUrl ?? null, cveFeeds: run.cveFeeds })
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

/** The data's stamp and which repos fail, read in one snapshot (the manifest records both). */
function stampOf (app: FastifyInstance): { generation: number, changedAt: string, state: number, health: string } {
  return app.data.read((stamp) => ({ generation: stamp.generation, changedAt: stamp.changedAt, state: stamp.stateGeneration, health: app.summary.repoHealthKey() }))
}

/** What the run compares with: the last manifest's files and site key. */
interface Previous { files: Map<string, FileEntry | null>, site: string | null, data: Manifest['data'] }

/**
 * The files the last manifest lists, and (without a hash) those a killed run may have written: such a file
 * may hold other bytes than the manifest says, so it is rendered and compared again. Not a copy (it can be large).
 */
function previousOf (manifest: Manifest | null, leftover: string[]): Previous {
  const files: Map<string, FileEntry | null> = manifest?.files ?? new Map()
  for (const file of leftover) files.set(file, null)
  return { files, site: manifest?.data?.site ?? null, data: manifest?.data ?? null }
}

async function exportPass (app: FastifyInstance, run: ExportRun, previous: Previous, journal: Journal, progress: ExportProgress): Promise<{ counts: TreeCounts, manifest: Manifest }> {
  const stamp = stampOf(app)
  const contents = readContents(app)
  const list = exportUrls(contents, { cveFeeds: run.cveFeeds })
  const keys = documentKeys(contents.index)
  addSitemapKeys(keys, pageUrls(contents.site), contents.site.advisories, urlsPerSitemap)
  const site = siteKey({ program: programVersion(), publicUrl: run.publicUrl, dynamicUrl: run.dynamicUrl ?? null, cveFeeds: run.cveFeeds, vocabulary: app.data.vocabulary() })
  // Documents are kept by their keys only under the site key they were made with.
  const documents = previous.site === site ? documentsOf(previous.files) : new Map()
  const writer = new TreeWriter(run.outDir, previous.files, journal, run.verify, documents)
  const host = new URL(run.publicUrl).host
  progress.start(list.length)
  const bundles = new Map([...contents.site.products.keys()].map((p) => [apiUrls.osvBundle(p), p]))
  const source = { outDir: run.outDir, previous: previous.files, documents, keys, baseUrl: run.publicUrl }
  await eachLimited(list, concurrency, async (url) => {
    const key = keyOf(keys, url.url)
    if (key === null || !writer.keep(url.url, key)) {
      const product = bundles.get(url.url)
      const bundle = product === undefined ? null : await bundleFromPrevious(app, url, product, contents.index, source)
      await writer.put(bundle ?? await renderUrl(app, url, host), key)
    }
    progress.advance()
  })
  const data = { generation: stamp.generation, changedAt: stamp.changedAt, health: stamp.health, site }
  return { counts: await writer.finish(data, previous.data), manifest: { data, files: writer.files } }
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
