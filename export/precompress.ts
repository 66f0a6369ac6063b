// The precompressed forms written beside a text file of 1 KB or more, for web servers and CDNs that serve
// them as they are (nginx gzip_static). Deterministic: gzip without a file name or time, fixed settings.
import { promisify } from 'node:util'
import zlib from 'node:zlib'

/** Smaller files are left alone: compressing them saves less than the extra file costs. */
export const precompressThreshold = 1024

const gzip = promisify(zlib.gzip)
const brotli = promisify(zlib.brotliCompress)

// Compressed once, served many times: the strongest gzip; brotli at 6, as the server compresses cached
// bodies: 9 costs 17 times the time for 1.5 % less, 11 fifty times for 11 % less (docs/static-export.md).
const gzipOptions = { level: 9 }
const brotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 6 } }

/**
 * From this size a document (a product's OSV bundle, 60 MB at 20,000 advisories, made again whenever one of its
 * advisories changes) gets its .gz from parts (export/gzip-parts.ts: only the changed parts are compressed
 * again) and no .br: brotli has no way to join separately compressed parts, and the gzip -9 of the parts (3.53 MB
 * of 61.5 MB) is already smaller than brotli at the qualities fast enough to run on every export (quality 1:
 * 4.10 MB in 0.12 s; quality 6: 3.15 MB in 1.5 s).
 */
export const largeDocument = 8 * 1024 * 1024

export interface Compressed { suffix: '.gz' | '.br', bytes: Buffer }

/** Both forms of a document under `largeDocument`, compressed on libuv's threads so several documents compress at once. */
export async function precompress (body: Buffer): Promise<Compressed[]> {
  const [gz, br] = await Promise.all([onThreads(async () => await gzip(body, gzipOptions)), onThreads(async () => await brotli(body, brotliOptions))])
  return [{ suffix: '.gz', bytes: gz }, { suffix: '.br', bytes: br }]
}

/**
 * Runs compressions on libuv's threads at most `compressing` at a time. The file system's calls share those
 * four threads: with every document's compressions queued at once, each write, rename and journal note waited
 * behind all of them (one revised advisory at 20,000: 0.4 s before the first file could be noted).
 */
export async function onThreads<T> (work: () => Promise<T>): Promise<T> {
  if (running < compressing) running++
  else await new Promise<void>((resolve) => { queue.push(resolve) })
  try {
    return await work()
  } finally {
    // The place passes to the next in line, or is given back.
    const next = queue.shift()
    if (next !== undefined) next()
    else running--
  }
}

/** Two of libuv's four threads: the other two stay free for the file system. */
const compressing = 2
let running = 0
const queue: Array<() => void> = []
