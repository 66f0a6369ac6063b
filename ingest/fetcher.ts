// Gets bytes from http(s)://, file:// or a plain path: timeouts and an overall deadline, bounded retries
// with backoff, redirects checked hop by hop, a size cap, conditional requests, a clear error per status.
import { createWriteStream } from 'node:fs'
import { lstat, readFile, realpath, stat } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isAbsolute, relative, sep } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface FetchOptions {
  timeoutMs: number // no answer, or no body bytes, for this long
  /** One download (retries included) may not take longer than this, however steadily bytes arrive. */
  deadlineMs: number
  retries: number // extra attempts after a network error, 5xx or 429
  maxBytes: number
  userAgent: string
  maxRedirects: number
  backoffMs: number
  /** Called as body bytes arrive, with the total so far (progress display). */
  onBytes?: (bytes: number) => void
  /** Hosts (a name, or name:port) a redirect may lead to besides the home host. */
  allowedHosts?: string[]
  /** The host (name:port) redirects may stay on; default: the host of the URL first asked. */
  homeHost?: string
  /** "user:password" by host (name:port): sent as Authorization: Basic to that host only. */
  credentials?: Record<string, string>
  /** Aborts a download in progress (SIGTERM, Ctrl-C). */
  signal?: AbortSignal
}

export const defaultFetchOptions: FetchOptions = {
  timeoutMs: 30_000,
  deadlineMs: 10 * 60_000,
  retries: 3,
  maxBytes: 512 * 1024 * 1024,
  userAgent: 'lambda-linux-security-center-ingest/0.1 (+https://lambda-linux.io)',
  maxRedirects: 5,
  backoffMs: 500
}

export class FetchError extends Error {
  constructor (message: string, readonly status?: number) { super(message) }
}

/** The overall deadline passed: not retried. */
export class DeadlineError extends FetchError {}

/** The run is stopping (a signal): not retried, and no other mirror is tried. */
export class DownloadInterrupted extends Error { override name = 'DownloadInterrupted' }

/** The download could not be stored locally (disk full, ...): not the mirror's fault, not retried. */
export class LocalWriteError extends Error { override name = 'LocalWriteError' }

export interface Conditional { etag?: string | null, lastModified?: string | null }

/**
 * A resolved location: a local path, or an http(s) URL (never with credentials in it). `root`, for a
 * file, is the local repo the file must stay inside by real path (symbolic links included).
 */
export type Location = { kind: 'file', path: string, url: string, root?: string } | { kind: 'http', url: string }

/** The URL without user and password, and those (decoded, "user:password") by host. */
export function splitCredentials (url: string): { url: string, host: string | null, userinfo: string | null } {
  if (!/^https?:\/\//i.test(url)) return { url, host: null, userinfo: null }
  let parsed: URL
  try { parsed = new URL(url) } catch { return { url, host: null, userinfo: null } }
  if (parsed.username === '' && parsed.password === '') return { url, host: null, userinfo: null }
  const userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`
  parsed.username = ''
  parsed.password = ''
  return { url: parsed.href, host: parsed.host, userinfo }
}

/** Any "scheme://user:password@" in a text, without the user and password (a safety net for messages). */
export function redactCredentials (text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1')
}

/** `root` (a URL or path of the repo root) confines a local file to that repo. */
export function toLocation (urlOrPath: string, root?: string): Location {
  if (/^https?:\/\//i.test(urlOrPath)) return { kind: 'http', url: splitCredentials(new URL(urlOrPath).href).url }
  let location: Location
  if (/^file:/i.test(urlOrPath)) location = { kind: 'file', path: fileURLToPath(urlOrPath), url: new URL(urlOrPath).href }
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrPath)) throw new FetchError(`unsupported URL scheme in ${splitCredentials(urlOrPath).url} (use http, https, file or a path)`)
  else location = { kind: 'file', path: urlOrPath, url: pathToFileURL(urlOrPath).href }
  if (root !== undefined) location.root = /^file:/i.test(root) ? fileURLToPath(root) : root
  return location
}

export interface Downloaded {
  notModified: boolean
  /** Where the bytes are: the source itself for local files (its real path), else `dest`. */
  path: string
  size: number
  etag: string | null
  lastModified: string | null
  /** The Content-Encoding the server claimed (the bytes are kept as sent), or null. */
  contentEncoding: string | null
}

function statusMessage (status: number, url: string): string {
  if (status === 404) return `HTTP 404 Not Found: ${url} does not exist`
  if (status === 403) return `HTTP 403 Forbidden: the server refuses access to ${url}`
  if (status === 401) return `HTTP 401 Unauthorized: ${url} needs credentials`
  if (status === 429) return `HTTP 429 Too Many Requests from ${url}`
  if (status >= 500) return `HTTP ${status} server error from ${url}`
  return `HTTP ${status} from ${url}`
}

function retryable (err: unknown): boolean {
  if (err instanceof DeadlineError || err instanceof DownloadInterrupted || err instanceof LocalWriteError) return false
  return !(err instanceof FetchError) || err.status === undefined || err.status >= 500 || err.status === 429
}

const interrupted = (url: string): DownloadInterrupted => new DownloadInterrupted(`the download of ${url} was interrupted: the run is stopping`)
const deadlinePassed = (url: string, ms: number): DeadlineError =>
  new DeadlineError(`the download of ${url} did not finish within the ${formatMs(ms)} deadline (--download-deadline)`)

function formatMs (ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}-second` : `${ms} ms`
}

/** Waits `ms`, or less when the signal fires or the deadline comes first. */
async function pause (ms: number, signal: AbortSignal | undefined, deadline: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, Math.max(0, Math.min(ms, deadline - Date.now())))
    function done (): void { clearTimeout(timer); signal?.removeEventListener('abort', done); resolve() }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Downloads `location` to `dest` (http) or checks the local file; honours `conditional` for http. */
export async function download (location: Location, dest: string, options: FetchOptions, conditional: Conditional = {}): Promise<Downloaded> {
  if (location.kind === 'file') return await localFile(location, options)
  const deadline = Date.now() + options.deadlineMs
  let lastError: unknown
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await pause(options.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5), options.signal, deadline)
    if (options.signal?.aborted === true) throw interrupted(location.url)
    if (Date.now() >= deadline) { lastError = deadlinePassed(location.url, options.deadlineMs); break }
    try {
      return await httpDownload(location.url, dest, options, conditional, deadline)
    } catch (err) {
      lastError = err
      if (!retryable(err)) break
    }
  }
  if (lastError instanceof DownloadInterrupted || lastError instanceof LocalWriteError) throw lastError
  const message = lastError instanceof Error ? lastError.message : String(lastError)
  const Kind = lastError instanceof DeadlineError ? DeadlineError : FetchError
  throw new Kind(options.retries > 0 && retryable(lastError) ? `${message} (after ${options.retries + 1} attempts)` : message,
    lastError instanceof FetchError ? lastError.status : undefined)
}

export interface FetchedText { text: string | null, etag: string | null, lastModified: string | null }

/** A small file (repomd.xml, a mirrorlist) as text, by way of `dest`; the text is null when not modified. */
export async function fetchText (location: Location, dest: string, options: FetchOptions, conditional: Conditional = {}): Promise<FetchedText> {
  const got = await download(location, dest, options, conditional)
  if (got.notModified) return { text: null, etag: got.etag, lastModified: got.lastModified }
  const text = await readFile(got.path, 'utf8')
  return { text, etag: got.etag, lastModified: got.lastModified }
}

async function localFile (location: Location & { kind: 'file' }, options: FetchOptions): Promise<Downloaded> {
  const cannot = (err: unknown): FetchError => {
    const code = (err as NodeJS.ErrnoException).code
    return new FetchError(code === 'ENOENT' ? `${location.path} does not exist` : `cannot read ${location.path} (${code ?? 'error'})`)
  }
  let path = location.path
  if (location.root !== undefined) {
    // Confined by real path: a symbolic link (of the file or of a directory above it) may not leave the repo.
    let root: string
    try { root = await realpath(location.root) } catch (err) { throw cannot(err) }
    const outside = new FetchError(`${location.path} leads outside the repo ${location.root} through a symbolic link; refused`)
    try {
      path = await realpath(location.path)
    } catch (err) {
      // A dangling link gets the same answer as one that leads outside: no hint of what exists out there.
      if ((await lstat(location.path).catch(() => null))?.isSymbolicLink() === true) throw outside
      throw cannot(err)
    }
    const rel = relative(root, path)
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw outside
  }
  let info
  try { info = await stat(path) } catch (err) { throw cannot(err) }
  if (!info.isFile()) throw new FetchError(`${location.path} is not a file`)
  if (info.size > options.maxBytes) throw new FetchError(`${location.path} is ${info.size} bytes, over the ${options.maxBytes}-byte download limit`)
  return { notModified: false, path, size: info.size, etag: null, lastModified: null, contentEncoding: null }
}

function hostAllowed (target: URL, home: string, allowed: string[]): boolean {
  return target.host === home || allowed.includes(target.hostname) || allowed.includes(target.host)
}

// node:http, not fetch: fetch decodes a Content-Encoding behind our back (a .gz sent with
// "Content-Encoding: gzip" would arrive decompressed), and refuses URLs with credentials.
async function get (url: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return await new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest
    const req = request(url, { headers, signal })
    req.once('response', resolve)
    req.once('error', reject)
    req.end()
  })
}

function requestHeaders (url: string, options: FetchOptions, conditional: Conditional): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, 'accept-encoding': 'identity' }
  if (conditional.etag != null) headers['if-none-match'] = conditional.etag
  if (conditional.lastModified != null) headers['if-modified-since'] = conditional.lastModified
  const userinfo = options.credentials?.[new URL(url).host]
  if (userinfo !== undefined) headers.authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`
  return headers
}

function responseHeader (res: IncomingMessage, name: string): string | null {
  const value = res.headers[name]
  return typeof value === 'string' ? value : null
}

const redirectStatuses = [301, 302, 303, 307, 308]

/** Where a redirect leads, checked like the first URL: the same scheme (or http to https) and an allowed host. */
function redirectTarget (res: IncomingMessage, status: number, url: string, hop: { startUrl: string, home: string, redirects: number }, options: FetchOptions): string {
  res.destroy()
  const target = res.headers.location
  if (target === undefined) throw new FetchError(`HTTP ${status} redirect without a Location from ${url}`, status)
  let next: URL
  try { next = new URL(target, url) } catch { throw new FetchError(`HTTP ${status} redirect to an invalid URL from ${url}`, status) }
  next.username = ''
  next.password = ''
  const from = new URL(url).protocol
  if (!(next.protocol === from || (from === 'http:' && next.protocol === 'https:'))) {
    throw new FetchError(`refusing a redirect from ${url} to another scheme (${next.protocol})`, status)
  }
  if (!hostAllowed(next, hop.home, options.allowedHosts ?? [])) {
    throw new FetchError(`refusing a redirect from ${url} to host ${next.host}, which is not ${hop.home} and not in allowedHosts`, status)
  }
  if (hop.redirects >= options.maxRedirects) throw new FetchError(`too many redirects (more than ${options.maxRedirects}) starting at ${hop.startUrl}`, status)
  return next.href
}

/** A 200 answer's body into `dest`, within maxBytes; every chunk re-arms the progress timer (`arm`). */
async function receiveBody (res: IncomingMessage, url: string, dest: string, options: FetchOptions, arm: () => void, signal: AbortSignal): Promise<Downloaded> {
  const declared = Number(responseHeader(res, 'content-length') ?? NaN)
  if (declared > options.maxBytes) {
    res.destroy()
    throw new FetchError(`${url} is ${declared} bytes, over the ${options.maxBytes}-byte download limit`, 413)
  }
  const encoding = responseHeader(res, 'content-encoding')
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
  const file = createWriteStream(dest)
  let writeError: NodeJS.ErrnoException | null = null
  file.on('error', (err) => { writeError ??= err })
  try {
    await pipeline(res, counter, file)
  } catch (err) {
    if (signal.aborted) throw networkError(err, url, signal, true)
    // Said without the local path: errors are shown publicly.
    if (writeError !== null) throw new LocalWriteError(`cannot store the download of ${url} in the temporary directory (${(writeError as NodeJS.ErrnoException).code ?? 'error'})`)
    throw err instanceof FetchError ? err : networkError(err, url, signal, true)
  }
  if (!Number.isNaN(declared) && size !== declared) throw new FetchError(`${url} ended after ${size} of ${declared} bytes`)
  return {
    notModified: false,
    path: dest,
    size,
    etag: responseHeader(res, 'etag'),
    lastModified: responseHeader(res, 'last-modified'),
    contentEncoding: encoding === null || /^identity$/i.test(encoding) ? null : encoding
  }
}

/** One attempt: follows redirects hop by hop, under the progress timer, the deadline and the stop signal. */
async function httpDownload (startUrl: string, dest: string, options: FetchOptions, conditional: Conditional, deadline: number): Promise<Downloaded> {
  let url = startUrl
  const home = options.homeHost ?? new URL(startUrl).host
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => controller.abort(new FetchError(`timed out after ${options.timeoutMs} ms waiting for ${url}`)), options.timeoutMs)
  }
  // The progress timer is re-armed by every chunk; this one is not: a server dripping bytes still ends.
  const deadlineTimer = setTimeout(() => controller.abort(deadlinePassed(startUrl, options.deadlineMs)), Math.max(0, deadline - Date.now()))
  const onSignal = (): void => { controller.abort(interrupted(startUrl)) }
  options.signal?.addEventListener('abort', onSignal, { once: true })
  try {
    for (let redirects = 0; ; redirects++) {
      const headers = requestHeaders(url, options, conditional)
      arm()
      let res: IncomingMessage
      try {
        res = await get(url, headers, controller.signal)
      } catch (err) {
        throw networkError(err, url, controller.signal, false)
      }
      const status = res.statusCode ?? 0
      if (redirectStatuses.includes(status)) {
        url = redirectTarget(res, status, url, { startUrl, home, redirects }, options)
        continue
      }
      if (status === 304) {
        const etag = responseHeader(res, 'etag')
        const lastModified = responseHeader(res, 'last-modified')
        res.destroy()
        return { notModified: true, path: dest, size: 0, etag: etag ?? conditional.etag ?? null, lastModified: lastModified ?? conditional.lastModified ?? null, contentEncoding: null }
      }
      if (status !== 200) {
        res.destroy()
        throw new FetchError(statusMessage(status, url), status)
      }
      return await receiveBody(res, url, dest, options, arm, controller.signal)
    }
  } finally {
    clearTimeout(timer)
    clearTimeout(deadlineTimer)
    options.signal?.removeEventListener('abort', onSignal)
  }
}

const networkCodes: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable'
}

// The message names what failed, never the peer's address or a local path.
function networkError (err: unknown, url: string, signal: AbortSignal, inBody: boolean): Error {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason
  if (inBody) return new FetchError(`cannot fetch ${url}: the connection closed before the response was complete`)
  const code = (err as NodeJS.ErrnoException).code
  if (code !== undefined && code in networkCodes) return new FetchError(`cannot fetch ${url}: ${networkCodes[code]!} (${code})`)
  if (code?.startsWith('ERR_TLS') === true || /certificate|SSL|TLS/i.test((err as Error).message)) {
    return new FetchError(`cannot fetch ${url}: TLS error (${code ?? (err as Error).message})`)
  }
  return new FetchError(`cannot fetch ${url}: ${code ?? 'network error'}`)
}
