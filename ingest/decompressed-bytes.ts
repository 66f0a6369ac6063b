// Step 3 of a repo's ingest: the updateinfo file's bytes, decompressed as the reader asks for them,
// counted against --max-decompressed-size and checked against repomd.xml's open-size and open-checksum.
import { createReadStream } from 'node:fs'
import { PassThrough, Transform, type Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createChecksum } from './checksum.js'
import type { Compression } from './decompress.js'
import { IngestError } from './repo-context.js'
import type { UpdateinfoEntry } from './repomd.js'

export interface Meter {
  /** Counts the compressed bytes read, for progress. */
  compressed: Transform
  /** Counts the decompressed bytes against the limit and hashes them for open-checksum. */
  open: Transform
  readonly compressedRead: number
  readonly openSize: number
  /** open-size and open-checksum, once every byte was read. */
  verify: () => void
}

export function createMeter (entry: UpdateinfoEntry, limit: number): Meter {
  const openHash = entry.openChecksum !== null ? createChecksum(entry.openChecksum.type) : null
  let openSize = 0
  let compressedRead = 0
  return {
    get compressedRead () { return compressedRead },
    get openSize () { return openSize },
    // Counted inside the pipeline: a 'data' listener would start the file flowing before it is piped.
    compressed: new Transform({
      transform (chunk: Buffer, _enc, done) { compressedRead += chunk.length; done(null, chunk) }
    }),
    open: new Transform({
      transform (chunk: Buffer, _enc, done) {
        openSize += chunk.length
        if (openSize > limit) {
          done(new IngestError(`the decompressed updateinfo passes the ${limit}-byte limit (a decompression bomb, or raise --max-decompressed-size)`))
          return
        }
        openHash?.update(chunk)
        done(null, chunk)
      }
    }),
    verify () {
      if (entry.openSize !== null && openSize !== entry.openSize) {
        throw new IngestError(`open-size mismatch: repomd.xml says ${entry.openSize} bytes decompressed, got ${openSize}`)
      }
      if (openHash !== null && entry.openChecksum !== null) {
        const actual = openHash.digest('hex')
        if (actual !== entry.openChecksum.value) throw new IngestError(`open-checksum (${entry.openChecksum.type}) mismatch: repomd.xml says ${entry.openChecksum.value}, the decompressed file differs`)
      }
    }
  }
}

/**
 * The file's bytes, decompressed and metered, as the consumer asks for them (a stream's backpressure).
 * A failure of the file or the decompressor is thrown with its cause named; when the consumer stops
 * (its own error), the streams are closed before it goes on.
 */
export async function * decompressedBytes (path: string, compression: Compression, decompressor: Duplex | null, meter: Meter): AsyncGenerator<Buffer> {
  let failedIn: Compression | null = null
  decompressor?.on('error', () => { failedIn ??= compression })
  const out = new PassThrough()
  const done = pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), meter.compressed, decompressor ?? new PassThrough(), meter.open, out)
  done.catch(() => {}) // awaited below; observed now, so a failure while the consumer writes is not unhandled
  let readFailure: unknown = null
  let finished = false
  try {
    for await (const chunk of out) yield chunk as Buffer
    finished = true
  } catch (err) {
    readFailure = err
  } finally {
    if (!finished && readFailure === null) await done.catch(() => {})
  }
  try {
    await done
  } catch (err) {
    throw decompressionFailure(err, failedIn, meter.openSize)
  }
  if (readFailure !== null) throw readFailure
}

/** The pipeline's error as the operator should read it: a decompressor's failure says which format failed. */
function decompressionFailure (err: unknown, failedIn: Compression | null, openSize: number): unknown {
  // The meter's limit (an IngestError) also reaches the decompressor as the pipeline is torn down.
  if (failedIn === null || err instanceof IngestError) return err
  // zlib reads on past the end of a gzip member for another one: junk there fails its header check.
  if (failedIn === 'gzip' && openSize > 0 && /incorrect header check/.test((err as Error).message)) {
    return new IngestError(`gzip data is followed by trailing data that is not gzip (${(err as Error).message}); the file is refused`)
  }
  return new IngestError(`${failedIn} data is corrupt or truncated: ${(err as Error).message}`)
}
