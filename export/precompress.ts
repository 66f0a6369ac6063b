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
 * A document this large is a product's OSV bundle, made again whenever any of its advisories changes: it is
 * compressed fast. Measured on a 61.5 MB bundle (20,000 advisories): gzip 9 takes 756 ms for 3.47 MB, gzip 1
 * 223 ms for 4.49 MB; brotli 6 1,464 ms for 3.15 MB, brotli 1 110 ms for 4.10 MB. A third more bytes for a
 * document tools fetch now and then, against 1.2 s of every incremental export.
 */
export const largeDocument = 8 * 1024 * 1024
const fastGzip = { level: 1 }
const fastBrotli = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }

export interface Compressed { suffix: '.gz' | '.br', bytes: Buffer }

/** Both forms, compressed on libuv's threads so several documents compress at once. */
export async function precompress (body: Buffer): Promise<Compressed[]> {
  const large = body.length >= largeDocument
  const [gz, br] = await Promise.all([gzip(body, large ? fastGzip : gzipOptions), brotli(body, large ? fastBrotli : brotliOptions)])
  return [{ suffix: '.gz', bytes: gz }, { suffix: '.br', bytes: br }]
}
