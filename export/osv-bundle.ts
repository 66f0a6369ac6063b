// A product's OSV bundle (`/api/v1/osv/<product>/all.ndjson`) made again from the previous export's copy:
// the line of every advisory whose OSV record kept its key is taken from the old file, only the others are
// made with the server's own toOsv. Rendering the whole bundle reads every advisory (seconds at 20,000 of
// them), and one changed advisory changes the bundle. The lines and their order are the live route's
// (server/api/osv-export.ts): the export test compares the bytes with the app's answer. The byte work is
// export/bundle-job.ts's.
import type { FastifyInstance } from 'fastify'
import { readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { startWorker } from '../domain/worker-thread.js'
import type { ListedAdvisory } from '../db/site-index.js'
import { osvId, toOsv } from '../server/api/osv.js'
import type { PreviousDocuments, PreviousFiles } from './write-tree.js'
import type { Rendered, Written } from './render.js'
import type { ExportUrl } from './urls.js'
import { runBundleJob, type BundleJob, type BundleResult, type RecordedFile } from './bundle-job.js'
import type { GzipPart } from './gzip-parts.js'

export interface BundleSource {
  outDir: string
  /** The previous export's files, and its documents with their keys (under the same site key). */
  previous: PreviousFiles
  documents: PreviousDocuments
  /** An advisory whose OSV record may differ from the previous export's: made again. */
  changed: (a: ListedAdvisory) => boolean
  baseUrl: string
  /** The previous copy is read back and compared by hash (--verify), not only by size. */
  verify: boolean
  /** From this size a bundle's .gz is made from parts (export/precompress.ts), and the bundle on a worker thread. */
  largeDocument: number
  /** Notes the bundle's file in the journal and gives its temporary name (TreeWriter.reserve). */
  reserve: (url: ExportUrl, contentType: string) => Promise<{ path: string, temp: string } | null>
  /** The previous .gz made from parts, as the manifest recorded it (export/write-tree.ts). */
  previousGzip: (path: string) => (RecordedFile & { parts: GzipPart[] }) | null
}

const ndjson = 'application/x-ndjson; charset=utf-8'

/**
 * The bundle of `product`, or null when there is no previous copy to start from (or it is not the bytes the
 * manifest says): the caller then renders it through the app.
 */
export async function bundleFromPrevious (app: FastifyInstance, url: ExportUrl, product: string, index: ListedAdvisory[], source: BundleSource): Promise<Rendered | Written | null> {
  const known = source.documents.get(url.url)
  const entry = known === undefined ? null : source.previous.get(known.path) ?? null
  if (known === undefined || entry === null) return null
  const target = await source.reserve(url, ndjson)
  if (target === null) return null
  const members = index.filter((a) => a.product === product)
  const remade = new Set(members.filter(source.changed).map((a) => a.pk))
  // A second time when the previous copy lacks a record it should have kept: that one is made again too.
  for (let attempt = 0; attempt < 2; attempt++) {
    const fresh: Uint8Array[] = []
    const lines = linesOf(app, members.filter((a) => remade.has(a.pk)), source.baseUrl)
    const job: BundleJob = {
      previous: { path: join(source.outDir, known.path), size: entry.size, sha256: source.verify ? entry.sha256 : null },
      order: members.map((a) => remade.has(a.pk) ? fresh.push(lines.get(a.pk)!) - 1 : osvId(a.product, a.id)),
      fresh,
      target: target.temp,
      largeDocument: source.largeDocument,
      previousGzip: source.previousGzip(`${known.path}.gz`)
    }
    // A large bundle is made on a worker thread while this one renders the other documents (a third of a second
    // of one core at 20,000 advisories), or here if the worker fails; a small one here, where a worker would take
    // longer to start.
    const result = entry.size >= source.largeDocument ? await inWorker(job).catch(async () => await runBundleJob(job)) : await runBundleJob(job)
    if (result.kind === 'unusable') break
    if (result.kind === 'made') {
      if (result.gzip !== null) return { url, contentType: ndjson, size: result.size, sha256: result.sha256, gzip: { ...result.gzip, bytes: asBuffer(result.gzip.bytes) } }
      // Smaller than a large document: placed and compressed as any document is, from its bytes.
      const body = await readFile(target.temp)
      await unlink(target.temp)
      return { url, contentType: ndjson, body }
    }
    const missing = new Set(result.ids)
    for (const a of members) if (missing.has(osvId(a.product, a.id))) remade.add(a.pk)
  }
  await unlink(target.temp).catch(() => {})
  return null
}

const empty = Buffer.alloc(0)

/** The OSV lines of these advisories, made by the server's toOsv (an advisory gone meanwhile: no line). */
function linesOf (app: FastifyInstance, advisories: ListedAdvisory[], baseUrl: string): Map<number, Buffer> {
  return app.data.read(() => new Map(advisories.map((a) => {
    const detail = app.advisories.get(a.product, a.id)
    return [a.pk, detail === null ? empty : Buffer.from(JSON.stringify(toOsv(baseUrl, detail)) + '\n')]
  })))
}

async function inWorker (job: BundleJob): Promise<BundleResult> {
  const worker = startWorker(import.meta.url, 'bundle-worker', { workerData: job })
  try {
    return await new Promise<BundleResult>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => { reject(new Error(`the OSV bundle's worker thread stopped without an answer (exit code ${code})`)) })
    })
  } finally {
    await worker.terminate()
  }
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
