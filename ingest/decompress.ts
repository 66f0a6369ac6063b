// Chooses the decompressor by magic bytes (file names lie) and gives it as a stream stage.
import { Duplex, Transform, type TransformCallback } from 'node:stream'
import { TransformStream } from 'node:stream/web'
import { createGunzip } from 'node:zlib'
// The decompressors beside gzip are loaded when a file needs them: most runs never do, and an unchanged
// re-run should not pay for loading them.
type Fzstd = typeof import('fzstd')
type Unbzip2 = typeof import('unbzip2-stream').default
type XzDecompress = typeof import('xz-decompress').default

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'zchunk' | 'none'

export class UnsupportedCompressionError extends Error { override name = 'UnsupportedCompressionError' }

export const zchunkUnsupported = 'zchunk (.zck) compression is unsupported; publish a .gz, .bz2, .xz or .zst updateinfo instead'

export function detectCompression (head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.subarray(0, 3).equals(Buffer.from('BZh'))) return 'bzip2'
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd'
  if (head.subarray(0, 5).equals(Buffer.from('\0ZCK1'))) return 'zchunk'
  return 'none'
}

/** What the location's file name claims, to report a file that is not compressed as claimed. */
export function compressionFromName (href: string): Compression | null {
  const path = href.replace(/[?#].*$/, '').toLowerCase()
  if (path.endsWith('.gz')) return 'gzip'
  if (path.endsWith('.bz2')) return 'bzip2'
  if (path.endsWith('.xz')) return 'xz'
  if (path.endsWith('.zst')) return 'zstd'
  if (path.endsWith('.zck')) return 'zchunk'
  if (path.endsWith('.xml')) return 'none'
  return null
}

// fzstd decodes as bytes are pushed; a Transform gives it backpressure and error propagation.
class ZstdTransform extends Transform {
  private readonly zstd
  constructor (fzstd: Fzstd) {
    super()
    this.zstd = new fzstd.Decompress((chunk) => { this.push(Buffer.from(chunk)) })
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try { this.zstd.push(chunk); done() } catch (err) { done(err as Error) }
  }

  override _flush (done: TransformCallback): void {
    try { this.zstd.push(new Uint8Array(0), true); done() } catch (err) { done(err as Error) }
  }
}

// unbzip2-stream is a classic `through` stream; this adapts it to a streams3 Transform.
class Bzip2Transform extends Transform {
  private readonly inner
  private failed: Error | null = null
  constructor (unbzip2: Unbzip2) {
    super()
    this.inner = unbzip2()
    this.inner.on('data', (data: Buffer) => { this.push(data) })
    this.inner.on('error', (err: Error) => { this.failed ??= err })
  }

  override _transform (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.inner.write(chunk)
    done(this.failed)
  }

  override _flush (done: TransformCallback): void {
    this.inner.end()
    done(this.failed)
  }
}

/** Node gives the UMD bundle as a default export; tsx's interop gives its exports directly: take either. */
function xzModule (imported: { default?: XzDecompress } & Partial<XzDecompress>): XzDecompress {
  if (imported.default?.XzReadableStream !== undefined) return imported.default
  if (imported.XzReadableStream !== undefined) return { XzReadableStream: imported.XzReadableStream }
  throw new Error('xz-decompress: no XzReadableStream export')
}

function xzStage (xzDecompress: XzDecompress): Duplex {
  const input = new TransformStream<Uint8Array, Uint8Array>()
  const output = new xzDecompress.XzReadableStream(input.readable as unknown as ReadableStream<Uint8Array>)
  return Duplex.fromWeb({ writable: input.writable, readable: output as unknown as import('node:stream/web').ReadableStream })
}

/** A stream stage that decompresses `compression`, or null for plain data. */
export async function createDecompressor (compression: Compression): Promise<Duplex | null> {
  switch (compression) {
    case 'none': return null
    case 'gzip': return createGunzip()
    case 'bzip2': return new Bzip2Transform((await import('unbzip2-stream')).default)
    case 'zstd': return new ZstdTransform(await import('fzstd'))
    case 'xz': return xzStage(xzModule(await import('xz-decompress')))
    case 'zchunk':
      throw new UnsupportedCompressionError(zchunkUnsupported)
  }
}
