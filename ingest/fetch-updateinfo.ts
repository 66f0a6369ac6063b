// Step 2 of a repo's ingest: downloads the updateinfo (a local file is read in place) and checks it against
// repomd.xml: size, checksum, and a compression (by magic bytes) that is the one its name claims.
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { RepoSpec } from './config.js'
import { checksumFile } from './checksum.js'
import { compressionFromName, detectCompression, UnsupportedCompressionError, zchunkUnsupported, type Compression } from './decompress.js'
import { download, type Downloaded, type Location } from './fetcher.js'
import { IngestError, type RepoContext } from './repo-context.js'
import type { UpdateinfoEntry } from './repomd.js'

/**
 * The verified file (the download in the temporary directory, or the repo's own local file) and the
 * repomd.xml entry whose open-size and open-checksum its decompressed bytes must still match.
 */
export interface UpdateinfoFile { path: string, compression: Compression, entry: UpdateinfoEntry }

const compressionNames: Record<Compression, string> = { gzip: 'gzip', bzip2: 'bzip2', xz: 'xz', zstd: 'zstd', zchunk: 'zchunk', none: 'uncompressed' }

export async function fetchUpdateinfo (entry: UpdateinfoEntry, location: Location, root: string, spec: RepoSpec, ctx: RepoContext): Promise<UpdateinfoFile> {
  if (compressionFromName(entry.href) === 'zchunk') throw new UnsupportedCompressionError(zchunkUnsupported)
  const onBytes = (bytes: number): void => { ctx.onProgress?.({ phase: 'download', repo: spec, bytes }) }
  const got = await download(location, join(ctx.tempDir, 'updateinfo'), { ...ctx.fetch, onBytes, homeHost: new URL(root).host })
  ctx.onProgress?.({ phase: 'download', repo: spec, bytes: got.size })
  try {
    await checkDownload(got, entry, location.url)
    return { path: got.path, compression: await checkCompression(got.path, entry, location.url), entry }
  } catch (err) {
    await discardDownload(got.path, ctx.tempDir)
    throw err
  }
}

/** Removes a download once read (or refused); a repo's local file is never touched. */
export async function discardDownload (path: string, tempDir: string): Promise<void> {
  if (path.startsWith(tempDir)) await rm(path, { force: true })
}

async function checkDownload (got: Downloaded, entry: UpdateinfoEntry, url: string): Promise<void> {
  // Bytes are kept as sent: a Content-Encoding on top of the file is named when the checks fail.
  const encoded = got.contentEncoding === null ? '' : ` (the server sent it with Content-Encoding: ${got.contentEncoding}, a web-server misconfiguration on top of the file)`
  if (entry.size !== null && got.size !== entry.size) {
    throw new IngestError(`size mismatch for ${url}: repomd.xml says ${entry.size} bytes, got ${got.size}${encoded}`)
  }
  const checksum = entry.checksum
  if (checksum !== null) {
    const actual = await checksumFile(got.path, checksum.type)
    if (actual !== checksum.value) throw new IngestError(`${checksum.type} checksum mismatch for ${url}: repomd.xml says ${checksum.value}, the downloaded file differs${encoded}`)
  }
}

/** The compression its magic bytes show, refused when the name claims another. */
async function checkCompression (path: string, entry: UpdateinfoEntry, url: string): Promise<Compression> {
  const compression = detectCompression(await readHead(path))
  const claimed = compressionFromName(entry.href)
  if (claimed !== null && claimed !== compression) {
    throw new IngestError(`${url} is not compressed as its name claims: the name says ${compressionNames[claimed]}, the content is ${compressionNames[compression]}`)
  }
  return compression
}

async function readHead (path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(8)
    const { bytesRead } = await handle.read(buffer, 0, 8, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
