// A loopback (127.0.0.1, port 0) static HTTP server over a directory, for ingest tests. Rules per
// path change the answer (status, body, redirect, delay, a request that is never answered, a
// connection reset in the middle of the body); ETag / Last-Modified and 304 answers can be turned
// on and off; every request is logged so that tests can count them.
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize, sep } from 'node:path'

export interface LoggedRequest {
  method: string
  /** The path without the query string, e.g. /repo/repodata/repomd.xml */
  path: string
  headers: IncomingHttpHeaders
  /** The status the server answered with; null while pending, or when it never answered (hang, reset). */
  status: number | null
}

export interface Reply {
  /** Answer with this status and `body` (an empty body when not given) instead of the file. */
  status?: number
  body?: string | Buffer
  headers?: Record<string, string>
  /** Answer 302 (or `status` when given) with this Location. */
  redirect?: string
  /** Wait this long before answering. */
  delayMs?: number
  /** Answer only when this settles. */
  until?: Promise<unknown>
  /** Never answer: the connection stays open until the server closes. */
  hang?: boolean
  /** Send the headers (with the full Content-Length) and this many body bytes, then destroy the connection. */
  resetAfterBytes?: number
  /** Send the headers (with the full Content-Length) and this many body bytes, then nothing more. */
  stallAfterBytes?: number
  /** Send the body without a Content-Length (chunked). */
  chunked?: boolean
}

export type Rule = Reply | ((request: LoggedRequest, nth: number) => Reply | undefined)

export type Match = string | RegExp | ((path: string) => boolean)

export interface ServerOptions {
  /** The directory served at "/". */
  root: string
  /** Send ETag and answer 304 to a matching If-None-Match (default true). */
  etag?: boolean
  /** Send Last-Modified and answer 304 to If-Modified-Since when no If-None-Match is sent (default true). */
  lastModified?: boolean
}

interface RuleEntry { match: Match, rule: Rule, times: number, matched: number }

export interface TestServer {
  readonly port: number
  /** http://127.0.0.1:PORT + path (path starts with "/"). */
  url: (path?: string) => string
  /** The directory served; may be changed between requests. */
  root: string
  etag: boolean
  lastModified: boolean
  /** Adds a rule for the matching paths; `times` limits how many requests it answers (default: all). */
  on: (match: Match, rule: Rule, times?: number) => void
  /** Removes every rule. */
  clearRules: () => void
  readonly log: LoggedRequest[]
  /** The logged requests whose path matches. */
  requests: (match?: Match) => LoggedRequest[]
  count: (match?: Match, method?: string) => number
  clearLog: () => void
  /** Resolves with the first logged request (past or future) matching, or rejects after `timeoutMs`. */
  waitForRequest: (match: Match, timeoutMs?: number) => Promise<LoggedRequest>
  close: () => Promise<void>
}

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

function matches (match: Match, path: string): boolean {
  if (typeof match === 'string') return match === path
  if (match instanceof RegExp) return match.test(path)
  return match(path)
}

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a server on 127.0.0.1 and closes it when the test ends. */
export async function startServer (t: Teardown, options: ServerOptions): Promise<TestServer> {
  const rules: RuleEntry[] = []
  const log: LoggedRequest[] = []
  const events = new EventEmitter()
  let closed = false

  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''))
    const entry: LoggedRequest = { method: req.method ?? 'GET', path, headers: req.headers, status: null }
    log.push(entry)
    events.emit('request', entry)
    handle(entry, req, res).catch((err: unknown) => {
      if (!res.headersSent) { res.statusCode = 500; res.end(String(err)) } else res.destroy()
    })
  })

  async function handle (entry: LoggedRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply = {}
    for (const r of rules) {
      if ((r.times >= 0 && r.matched >= r.times) || !matches(r.match, entry.path)) continue
      const got = typeof r.rule === 'function' ? r.rule(entry, r.matched + 1) : r.rule
      if (got === undefined) continue
      r.matched++
      reply = got
      break
    }
    if (reply.hang === true) return
    if (reply.delayMs !== undefined) await sleep(reply.delayMs)
    if (reply.until !== undefined) await reply.until.catch(() => {})
    if (closed || res.destroyed) return

    const send = (status: number, headers: Record<string, string>, body: Buffer): void => {
      entry.status = status
      const all: Record<string, string> = { ...headers, ...reply.headers }
      if (reply.chunked !== true && !('content-length' in all)) all['content-length'] = String(body.length)
      res.writeHead(status, all)
      if (req.method === 'HEAD') { res.end(); return }
      if (reply.resetAfterBytes !== undefined) {
        entry.status = null
        res.flushHeaders()
        res.write(body.subarray(0, reply.resetAfterBytes), () => { setTimeout(() => res.destroy(), 20) })
        return
      }
      if (reply.stallAfterBytes !== undefined) {
        entry.status = null
        res.flushHeaders()
        res.write(body.subarray(0, reply.stallAfterBytes))
        return
      }
      res.end(body)
    }

    if (reply.redirect !== undefined) {
      send(reply.status ?? 302, { location: reply.redirect }, Buffer.alloc(0))
      return
    }
    if (reply.status !== undefined || reply.body !== undefined) {
      const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body)
      send(reply.status ?? 200, { 'content-type': 'application/octet-stream' }, body)
      return
    }

    // The static file.
    const file = normalize(join(api.root, entry.path))
    if (!file.startsWith(normalize(api.root) + sep)) { send(403, {}, Buffer.from('forbidden\n')); return }
    let body: Buffer
    let mtime: Date
    try {
      const info = statSync(file)
      if (!info.isFile()) throw new Error('not a file')
      body = readFileSync(file)
      mtime = info.mtime
    } catch {
      send(404, { 'content-type': 'text/plain' }, Buffer.from('not found\n'))
      return
    }
    const headers: Record<string, string> = { 'content-type': file.endsWith('.xml') ? 'text/xml' : 'application/octet-stream' }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 24)}"`
    const lastModified = new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString()
    if (api.etag) headers.etag = etag
    if (api.lastModified) headers['last-modified'] = lastModified
    const ifNoneMatch = req.headers['if-none-match']
    const ifModifiedSince = req.headers['if-modified-since']
    const notModified = ifNoneMatch !== undefined
      ? api.etag && ifNoneMatch.split(',').map((s) => s.trim()).includes(etag)
      : api.lastModified && ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(lastModified)
    if (notModified) {
      entry.status = 304
      res.writeHead(304, headers)
      res.end()
      return
    }
    send(200, headers, body)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const port = (server.address() as AddressInfo).port

  const stop = closer(server)
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await stop()
  }

  const select = (match?: Match): LoggedRequest[] => (match === undefined ? [...log] : log.filter((r) => matches(match, r.path)))

  const api: TestServer = {
    port,
    url: (path = '/') => `http://127.0.0.1:${port}${path}`,
    root: options.root,
    etag: options.etag ?? true,
    lastModified: options.lastModified ?? true,
    on: (match, rule, times = -1) => { rules.push({ match, rule, times, matched: 0 }) },
    clearRules: () => { rules.length = 0 },
    log,
    requests: select,
    count: (match, method) => select(match).filter((r) => method === undefined || r.method === method).length,
    clearLog: () => { log.length = 0 },
    waitForRequest: async (match, timeoutMs = 15_000) => {
      const past = log.find((r) => matches(match, r.path))
      if (past !== undefined) return past
      return await new Promise<LoggedRequest>((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('request', listener)
          reject(new Error(`no request for ${String(match)} within ${timeoutMs} ms`))
        }, timeoutMs)
        const listener = (r: LoggedRequest): void => {
          if (!matches(match, r.path)) return
          clearTimeout(timer)
          events.off('request', listener)
          resolve(r)
        }
        events.on('request', listener)
      })
    },
    close
  }
  t.teardown(close)
  return api
}

/** A loopback port with nothing listening on it: a server is opened there and closed again. */
export async function deadPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Closes a test server and every connection still open to it (keep-alive or a stalled body). */
export function closer (server: Server): () => Promise<void> {
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
