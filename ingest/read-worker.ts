// The worker thread that reads a downloaded updateinfo (steps 3 and 4: decompress, decode, parse, normalise)
// while the main thread writes what it already read to SQLite. Records go back in batches; at most a few
// batches are in flight (the main thread asks for each next one), so memory stays bounded as before.
import { parentPort, workerData } from 'node:worker_threads'
import { contentHash } from '../db/advisory-store.js'
import { createDecompressor } from './decompress.js'
import { createMeter, decompressedBytes } from './decompressed-bytes.js'
import { readUpdateinfo, type ReadResult } from './read-updateinfo.js'
import type { ReaderMessage, ReadJob } from './worker-reader.js'

const batchSize = 256
/** Batches sent and not yet taken; the main thread gives one back each time it takes one. */
let credits = 4
let wake: (() => void) | null = null

function post (message: ReaderMessage): void {
  parentPort!.postMessage(message)
}

async function send (records: ReadResult[], compressedRead: number): Promise<void> {
  // The main thread gives a credit back (and wakes us) each time it takes a batch.
  if (credits === 0) await new Promise<void>((resolve) => { wake = resolve })
  credits--
  // As JSON text: cheaper than the structured clone of so many small objects (measured: 1.5 s of CPU less at
  // 20,000 x 8), and the records are JSON's own kinds of values.
  post({ kind: 'batch', records: JSON.stringify(records), compressedRead })
}

async function read (job: ReadJob): Promise<void> {
  const meter = createMeter(job.entry, job.limits.maxDecompressedBytes)
  const decompressor = await createDecompressor(job.compression)
  const records = readUpdateinfo(decompressedBytes(job.path, job.compression, decompressor, meter), {
    maxTextRun: job.limits.maxTextRun,
    limits: job.limits.update
  })
  let batch: ReadResult[] = []
  try {
    for await (const record of records) {
      // Hashed here: this thread has time to spare, the writer's has not.
      batch.push(record.kind === 'advisory' ? { ...record, hash: contentHash(record.advisory) } : record)
      if (batch.length < batchSize) continue
      await send(batch, meter.compressedRead)
      batch = []
    }
    await send(batch, meter.compressedRead)
    meter.verify()
    post({ kind: 'done' })
  } catch (err) {
    // What was read before the error goes first, as readUpdateinfo yields it before it throws.
    if (batch.length > 0) await send(batch, meter.compressedRead)
    throw err
  }
}

parentPort!.on('message', () => {
  credits++
  wake?.()
  wake = null
})

read(workerData as ReadJob).catch((err: unknown) => {
  const e = err as { name?: unknown, message?: unknown, code?: unknown }
  post({
    kind: 'error',
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    code: typeof e?.code === 'string' ? e.code : null
  })
}).finally(() => { parentPort!.close() })
