// Gets bytes from http(s)://, file:// or a plain path: timeouts, bounded retries with backoff,
// redirects (same or upgraded scheme only), a size cap, conditional requests, a clear error per status.
import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface FetchOptions {
  timeoutMs: number // no answer, or no body bytes, for this long
  retries: number // extra attempts after a network error, 5xx or 429
  maxBytes: number
  userAgent: string
  maxRedirects: number
  backoffMs: number
  /** Called as body bytes arrive, with the total so far (progress display). */
  onBytes?: (bytes: number) => void
}

export const defaultFetchOptions: FetchOptions = {
  timeoutMs: 30_000,
  retries: 3,
  maxBytes: 512 * 1024 * 1024,
  userAgent: 'lambda-linux-security-center-ingest/0.1 (+https://lambda-linux.io)',
  maxRedirects: 5,
  backoffMs: 500
}

export class FetchError extends Error {
  constructor (message: string, readonly status?: number) { super(message) }
}

export interface Conditional { etag?: string | null, lastModified?: string | null }

/** A resolved location: a local path, or an http(s) URL. */
export type Location = { kind: 'file', path: string, url: string } | { kind: 'http', url: string }

export function toLocation (urlOrPath: string): Location {
  if (/^https?:\/\//i.test(urlOrPath)) return { kind: 'http', url: new URL(urlOrPath).href }
  if (/^file:/i.test(urlOrPath)) return { kind: 'file', path: fileURLToPath(urlOrPath), url: new URL(urlOrPath).href }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrPath)) throw new FetchError(`unsupported URL scheme in ${urlOrPath} (use http, https, file or a path)`)
  return { kind: 'file', path: urlOrPath, url: pathToFileURL(urlOrPath).href }
}

export interface Downloaded {
  notModified: boolean
  /** Where the bytes are: the source itself for local files, else `dest`. */
  path: string
  size: number
  etag: string | null
  lastModified: string | null
  finalUrl: string
}

function statusMessage (status: number, url: string): string {
  if (status === 404) return `HTTP 404 Not Found: ${url} does not exist`
  if (status === 403) return `HTTP 403 Forbidden: the server refuses access to ${url}`
  if (status === 401) return `HTTP 401 Unauthorized: ${url} needs credentials`
  if (status === 429) return `HTTP 429 Too Many Requests from ${url}`
  if (status >= 500) return `HTTP ${status} server error from ${url}`
  return `HTTP ${status} from ${url}`
}

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

function retryable (err: unknown): boolean {
  return !(err instanceof FetchError) || err.status === undefined || err.status >= 500 || err.status === 429
}

/** Downloads `location` to `dest` (http) or checks the local file; honours `conditional` for http. */
export async function download (location: Location, dest: string, options: FetchOptions, conditional: Conditional = {}): Promise<Downloaded> {
  if (location.kind === 'file') {
    let info
    try {
      info = await stat(location.path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new FetchError(code === 'ENOENT' ? `${location.path} does not exist` : `cannot read ${location.path}: ${(err as Error).message}`)
    }
    if (!info.isFile()) throw new FetchError(`${location.path} is not a file`)
    if (info.size > options.maxBytes) throw new FetchError(`${location.path} is ${info.size} bytes, over the ${options.maxBytes}-byte download limit`)
    return { notModified: false, path: location.path, size: info.size, etag: null, lastModified: null, finalUrl: location.url }
  }
  let lastError: unknown
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep(options.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5))
    try {
      return await httpDownload(location.url, dest, options, conditional)
    } catch (err) {
      lastError = err
      if (!retryable(err)) break
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError)
  throw new FetchError(options.retries > 0 && retryable(lastError) ? `${message} (after ${options.retries + 1} attempts)` : message,
    lastError instanceof FetchError ? lastError.status : undefined)
}

async function httpDownload (startUrl: string, dest: string, options: FetchOptions, conditional: Conditional): Promise<Downloaded> {
  let url = startUrl
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => controller.abort(new FetchError(`timed out after ${options.timeoutMs} ms waiting for ${url}`)), options.timeoutMs)
  }
  try {
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { 'user-agent': options.userAgent, 'accept-encoding': 'identity' }
      if (conditional.etag != null) headers['if-none-match'] = conditional.etag
      if (conditional.lastModified != null) headers['if-modified-since'] = conditional.lastModified
      arm()
      let res: Response
      try {
        res = await fetch(url, { headers, redirect: 'manual', signal: controller.signal })
      } catch (err) {
        throw networkError(err, url, controller.signal)
      }
      if ([301, 302, 303, 307, 308].includes(res.status)) {
        await res.body?.cancel()
        const target = res.headers.get('location')
        if (target === null) throw new FetchError(`HTTP ${res.status} redirect without a Location from ${url}`, res.status)
        const next = new URL(target, url)
        const from = new URL(url).protocol
        if (!(next.protocol === from || (from === 'http:' && next.protocol === 'https:'))) {
          throw new FetchError(`refusing a redirect from ${url} to another scheme (${next.href})`, res.status)
        }
        if (redirects >= options.maxRedirects) throw new FetchError(`too many redirects (more than ${options.maxRedirects}) starting at ${startUrl}`, res.status)
        url = next.href
        continue
      }
      const etag = res.headers.get('etag')
      const lastModified = res.headers.get('last-modified')
      if (res.status === 304) {
        await res.body?.cancel()
        return { notModified: true, path: dest, size: 0, etag: etag ?? conditional.etag ?? null, lastModified: lastModified ?? conditional.lastModified ?? null, finalUrl: url }
      }
      if (res.status !== 200) {
        await res.body?.cancel()
        throw new FetchError(statusMessage(res.status, url), res.status)
      }
      const declared = Number(res.headers.get('content-length') ?? NaN)
      if (declared > options.maxBytes) {
        await res.body?.cancel()
        throw new FetchError(`${url} is ${declared} bytes, over the ${options.maxBytes}-byte download limit`, 413)
      }
      let size = 0
      const counter = new Transform({
        transform (chunk: Buffer, _enc, done) {
          arm()
          size += chunk.length
          options.onBytes?.(size)
          if (size > options.maxBytes) done(new FetchError(`${url} sends more than the ${options.maxBytes}-byte download limit`, 413))
          else done(null, chunk)
        }
      })
      try {
        if (res.body === null) throw new FetchError(`empty response body from ${url}`)
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), counter, createWriteStream(dest))
      } catch (err) {
        throw err instanceof FetchError ? err : networkError(err, url, controller.signal)
      }
      if (!Number.isNaN(declared) && size !== declared) throw new FetchError(`${url} ended after ${size} of ${declared} bytes`)
      return { notModified: false, path: dest, size, etag, lastModified, finalUrl: url }
    }
  } finally {
    clearTimeout(timer)
  }
}

const networkCodes: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection closed before the response was complete',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out'
}

function networkError (err: unknown, url: string, signal: AbortSignal): FetchError {
  if (signal.aborted && signal.reason instanceof FetchError) return signal.reason
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  const code = cause?.code ?? (err as NodeJS.ErrnoException).code
  const detail = code !== undefined && code in networkCodes ? `${networkCodes[code]!} (${code})` : (cause?.message ?? (err as Error).message)
  return new FetchError(`cannot fetch ${url}: ${detail}`)
}
