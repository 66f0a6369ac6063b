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

export interface Compressed { suffix: '.gz' | '.br', bytes: Buffer }

/** Both forms, compressed on libuv's threads so several documents compress at once. */
export async function precompress (body: Buffer): Promise<Compressed[]> {
  const [gz, br] = await Promise.all([gzip(body, gzipOptions), brotli(body, brotliOptions)])
  return [{ suffix: '.gz', bytes: gz }, { suffix: '.br', bytes: br }]
}
