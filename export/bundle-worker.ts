// A worker thread making one OSV bundle (export/bundle-job.ts) and posting the result back; the bundle itself is
// in its file, its .gz's bytes are moved to the main thread, not copied.
import { parentPort, workerData } from 'node:worker_threads'
import { runBundleJob, type BundleJob } from './bundle-job.js'

const result = await runBundleJob(workerData as BundleJob)
const bytes = result.kind === 'made' && result.gzip !== null ? [result.gzip.bytes] : []
parentPort!.postMessage(result, bytes.filter(whole).map((b) => b.buffer as ArrayBuffer))

/** Only a buffer that is the whole of its memory is moved (a pooled slice would take its neighbours along). */
function whole (bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
}
