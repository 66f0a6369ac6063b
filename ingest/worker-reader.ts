// Steps 3 and 4 in a worker thread (ingest/read-worker.ts), so parsing the next advisories overlaps writing
// the last ones: the main thread's side. Yields exactly what readUpdateinfo over decompressedBytes yields,
// in order, and throws the same errors (name and message; IngestError as itself), after the records read
// before them.
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../domain/worker-thread.js'
import type { Compression } from './decompress.js'
import type { ReadResult } from './read-updateinfo.js'
import { IngestError, type IngestLimits } from './repo-context.js'
import type { UpdateinfoEntry } from './repomd.js'

/**
 * Downloaded files from this size (bytes as fetched) would be read in a worker: off (Infinity) by default. On
 * this project's shared two-core machine the worker cost 2.5 s of CPU more at 20,000 x 8 and made the run
 * slower in most rounds measured (docs/benchmarks.md, "Ingest"); 1 MiB is the value to try on an idle machine
 * (starting a worker costs about 30 ms built; a 1 MiB gzip file holds about 10 MB of XML, a second of reading).
 */
export const workerReadFrom = Number.POSITIVE_INFINITY

export interface ReadJob {
  path: string
  compression: Compression
  entry: UpdateinfoEntry
  limits: Pick<IngestLimits, 'maxDecompressedBytes' | 'maxTextRun' | 'update'>
}

export type ReaderMessage =
  /** `records`: a ReadResult[] as JSON. */
  | { kind: 'batch', records: string, compressedRead: number }
  | { kind: 'done' }
  | { kind: 'error', name: string, message: string, code: string | null }

type Received = ReaderMessage | { kind: 'exit', code: number }

/** The worker is ingest/read-worker.ts (built: .js). */
function startReader (job: ReadJob): Worker {
  // A smaller young generation than V8's default: the worker's records live only until posted (measured: peak
  // RSS 213 MB instead of 236 MB at 20,000 advisories x 8 packages, the same time).
  return startWorker(import.meta.url, 'read-worker', { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 8 } })
}

function revive (message: Extract<ReaderMessage, { kind: 'error' }>): Error {
  const err = message.name === 'IngestError' ? new IngestError(message.message) : new Error(message.message)
  err.name = message.name
  if (message.code !== null) Object.assign(err, { code: message.code })
  return err
}

/** `onBatch` gets the compressed bytes read so far and the records read so far, for progress. */
export async function * readInWorker (job: ReadJob, onBatch?: (compressedRead: number, records: number) => void): AsyncGenerator<ReadResult> {
  const worker = startReader(job)
  const inbox: Received[] = []
  let notify: (() => void) | null = null
  const deliver = (message: Received): void => { inbox.push(message); notify?.(); notify = null }
  worker.on('message', deliver)
  worker.on('error', (err) => { deliver({ kind: 'error', name: err.name, message: err.message, code: null }) })
  worker.on('exit', (code) => { deliver({ kind: 'exit', code }) })
  let records = 0
  try {
    for (;;) {
      if (inbox.length === 0) await new Promise<void>((resolve) => { notify = resolve })
      const message = inbox.shift()!
      if (message.kind === 'done') return
      if (message.kind === 'error') throw revive(message)
      if (message.kind === 'exit') throw new IngestError(`the updateinfo reader stopped unexpectedly (exit code ${message.code})`)
      // Asked for before these are written, so the worker reads on meanwhile.
      worker.postMessage('more')
      const batch = JSON.parse(message.records) as ReadResult[]
      records += batch.length
      onBatch?.(message.compressedRead, records)
      yield * batch
    }
  } finally {
    await worker.terminate()
  }
}
