// The portal's one compressor: brotli or gzip as the client prefers, for every compressible response.
// Rendered bodies are compressed once and kept with their cache entry (cache.ts); everything else (static
// files, the NDJSON export, error pages, query answers) is compressed as it is sent, by the onSend hook.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { pipeline, type Readable } from 'node:stream'
import zlib from 'node:zlib'

export type Encoding = 'br' | 'gzip'

/** Smaller bodies are sent as they are: compressing them saves less than it costs. */
export const compressThreshold = 1024

const compressibleType = /^(?:text\/|application\/(?:json|xml|javascript|x-ndjson|[\w.+-]+\+(?:json|xml))|image\/svg\+xml)/i

// A middle setting: cached bodies are compressed once and served many times; streams are compressed live.
const brotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 6 } }
const brotliStreamOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }

/** br or gzip when the client accepts it (q > 0), else identity. */
/**
 * Answers by the Accept-Encoding value: clients send a handful of distinct values, and parsing one on every
 * cached answer was a tenth of the portal's own work on it (docs/benchmarks.md, "Serving: where the microseconds
 * go"). Bounded: the value is the client's to choose.
 */
const encodingByHeader = new Map<string, Encoding | null>()

export function preferredEncoding (acceptEncoding: string | undefined): Encoding | null {
  if (acceptEncoding === undefined) return null
  let encoding = encodingByHeader.get(acceptEncoding)
  if (encoding === undefined) {
    encoding = parseAcceptEncoding(acceptEncoding)
    if (encodingByHeader.size >= 64) encodingByHeader.clear()
    encodingByHeader.set(acceptEncoding, encoding)
  }
  return encoding
}

function parseAcceptEncoding (acceptEncoding: string): Encoding | null {
  const accepted = new Set<string>()
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name!.trim())
  }
  if (accepted.has('br')) return 'br'
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip'
  return null
}

export function compressBytes (bytes: Buffer, encoding: Encoding): Buffer {
  return encoding === 'br' ? zlib.brotliCompressSync(bytes, brotliOptions) : zlib.gzipSync(bytes)
}

/** Vary with accept-encoding added to what is there (CORS puts Origin there), as a header value. */
export function varyWithEncoding (vary: unknown): string {
  if (vary === undefined || vary === '') return 'accept-encoding'
  return /accept-encoding/i.test(String(vary)) ? String(vary) : `${String(vary)}, accept-encoding`
}

/** Adds accept-encoding to Vary, keeping what is there (CORS adds Origin). */
export function varyOnEncoding (reply: FastifyReply): void {
  const vary = reply.getHeader('vary')
  if (vary === undefined || vary === '') reply.header('vary', 'accept-encoding')
  else if (!/accept-encoding/i.test(String(vary))) reply.header('vary', `${String(vary)}, accept-encoding`)
}

const isStream = (payload: unknown): payload is Readable => typeof (payload as Readable | null)?.pipe === 'function'

/**
 * onSend (callback style: no promise per answer): compresses what is not compressed yet, when the type, the size
 * and the client allow it. A kept body sent with its headers complete (cache.ts) passes through untouched.
 */
export function compressOnSend (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, value?: unknown) => void): void {
  if (Buffer.isBuffer(payload) && finalBodies.has(payload)) { done(null, payload); return }
  let value: unknown
  try {
    value = compressed(request, reply, payload)
  } catch (err) {
    done(err as Error)
    return
  }
  done(null, value)
}

function compressed (request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  // 206 is a byte range of the identity body (a static file): compressing it would break the range.
  if (payload === null || payload === undefined || reply.hasHeader('content-encoding') || reply.statusCode === 204 || reply.statusCode === 206 || reply.statusCode === 304) return payload
  if (!compressibleType.test(String(reply.getHeader('content-type') ?? ''))) return payload
  varyOnEncoding(reply)
  const encoding = preferredEncoding(request.headers['accept-encoding'])
  if (encoding === null) return payload
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload
    if (bytes.length < compressThreshold) return payload
    reply.header('content-encoding', encoding).removeHeader('content-length')
    return compressBytes(bytes, encoding)
  }
  if (!isStream(payload)) return payload
  reply.header('content-encoding', encoding).removeHeader('content-length')
  // An error in the source (the export cut off by an ingest) destroys the compressed stream too, so the
  // client sees a broken transfer, never a clean end.
  return pipeline(payload, encoding === 'br' ? zlib.createBrotliCompress(brotliStreamOptions) : zlib.createGzip(), () => {})
}

/**
 * Bodies sent with their headers complete (Content-Encoding and Content-Length included, cache.ts): the onSend
 * hook above passes them through without a look at their type or the client's encodings.
 */
export const finalBodies = new WeakSet<Buffer>()
