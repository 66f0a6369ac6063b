// A loopback (127.0.0.1, port 0) HTTP server whose answers the test writes itself, for what the static
// test server (http-server.ts) cannot do: drip a body byte by byte, demand Basic auth, and so on.
// serveFile() answers with a file under a directory, as the static server would.
import { readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, normalize, sep } from 'node:path'
import { closer } from './http-server.js'

export interface RawRequest { path: string, headers: IncomingHttpHeaders }

export interface RawServer {
  readonly port: number
  /** http://127.0.0.1:PORT + path. */
  url: (path?: string) => string
  readonly log: RawRequest[]
  close: () => Promise<void>
}

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

export type RawHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>

/** Starts the server; it is closed (every connection with it) when the test ends. */
export async function startRawServer (t: Teardown, handler: RawHandler): Promise<RawServer> {
  const log: RawRequest[] = []
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''))
    log.push({ path, headers: req.headers })
    Promise.resolve(handler(req, res, path)).catch(() => { res.destroy() })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  let closed = false
  const stop = closer(server)
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await stop()
  }
  t.teardown(close)
  return { port, url: (path = '/') => `http://127.0.0.1:${port}${path}`, log, close }
}

/** The file at `root` + `path`, or null when there is none (or the path leaves `root`). */
export function fileUnder (root: string, path: string): Buffer | null {
  const file = normalize(join(root, path))
  if (!file.startsWith(normalize(root) + sep)) return null
  try {
    if (!statSync(file).isFile()) return null
    return readFileSync(file)
  } catch {
    return null
  }
}

/** Answers 200 with the file, or 404. */
export function serveFile (root: string, path: string, res: ServerResponse, headers: Record<string, string> = {}): void {
  const body = fileUnder(root, path)
  if (body === null) {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
    return
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...headers })
  res.end(body)
}

/** Sends `body` (with its full Content-Length) one byte every `everyMs`; stops when the client goes away. */
export function drip (res: ServerResponse, body: Buffer, everyMs: number, onByte?: (sent: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) })
  res.flushHeaders()
  let sent = 0
  const timer = setInterval(() => {
    if (res.destroyed || sent >= body.length) {
      clearInterval(timer)
      if (!res.destroyed) res.end()
      return
    }
    res.write(body.subarray(sent, sent + 1))
    sent++
    onByte?.(sent)
  }, everyMs)
  res.on('close', () => { clearInterval(timer) })
}
