// The headers every answer carries, computed once: the security headers, and CORS (any site may read the data
// with GET or HEAD; nothing else is open to other origins: a text/plain POST needs no preflight, so the query
// answer must not carry the header either). Set on every routed request by one synchronous hook, on Fastify's
// own answers to unreadable URLs, and on the raw answers Node's HTTP parser gives before Fastify sees a request.
// The answers kept in the body cache carry the same headers from their own precomputed objects (cache.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Socket } from 'node:net'
import { STATUS_CODES } from 'node:http'
import { headerList, setHeaders } from './header-list.js'
import { leftOutByDirectReplay } from './direct-replay.js'

const contentSecurityPolicy = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join(';')

/**
 * What @fastify/helmet sent before (HSTS left to the proxy in front: the portal is often reached over plain
 * HTTP on an internal network), as one frozen object so no request pays for computing it.
 */
export const securityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': contentSecurityPolicy,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
})

/**
 * What a GET or HEAD answer starts with: the security headers, then what @fastify/cors sent for the same options
 * (Vary: Origin on every answer, since whether the origin may read depends on the method; any origin for reads).
 */
export const readHeaders: Readonly<Record<string, string>> = Object.freeze({ ...securityHeaders, vary: 'Origin', 'access-control-allow-origin': '*' })
/** Any other method: no CORS grant. */
const otherHeaders: Readonly<Record<string, string>> = Object.freeze({ ...securityHeaders, vary: 'Origin' })

const readHeaderList = headerList(readHeaders)
const otherHeaderList = headerList(otherHeaders)

/**
 * The security headers and CORS in one synchronous onRequest hook, in place of a helmet-like hook and
 * @fastify/cors's delegator (which normalized its options object twice on every request). The answers and
 * headers are those @fastify/cors gave, preflight included: a preflight for GET or HEAD is answered 204 with
 * the methods, one without an Origin 400 (its strict mode); any other preflight goes on to the OPTIONS route,
 * which answers 404 like any unknown path.
 */
export function registerResponseHeaders (app: FastifyInstance): void {
  // The direct replay (direct-replay.ts) may leave it out: a remembered GET answer holds the headers it sets.
  app.addHook('onRequest', leftOutByDirectReplay('securityHeaders', (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const method = request.method
    if (method === 'GET' || method === 'HEAD') {
      setHeaders(reply, readHeaderList)
      done()
      return
    }
    setHeaders(reply, otherHeaderList)
    const requested = method === 'OPTIONS' ? request.headers['access-control-request-method'] : undefined
    if (requested !== 'GET' && requested !== 'HEAD') {
      done()
      return
    }
    reply.header('access-control-allow-origin', '*')
    if (request.headers.origin === undefined || request.headers.origin === '') {
      reply.status(400).type('text/plain').send('Invalid Preflight Request')
      return
    }
    reply.header('access-control-allow-methods', 'GET, HEAD').header('vary', 'Origin, Access-Control-Request-Headers')
    const asked = request.headers['access-control-request-headers']
    if (asked !== undefined) reply.header('access-control-allow-headers', asked)
    reply.code(204).header('content-length', '0').send()
  }))
  // A preflight the hook did not answer: not allowed, so nothing lives here.
  app.options('*', { schema: { hide: true } }, (_request, reply) => { reply.callNotFound() })
}

const rawHeaderBlock = Object.entries(securityHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('')

/**
 * Node's answer to a request it cannot parse (a header block over its limit: 431, a request that took too
 * long: 408, anything else: 400), written to the socket with the same headers as every other answer.
 */
export function clientErrorHandler (err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) { socket.destroy(); return }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const body = `${status} ${STATUS_CODES[status]!}: ${status === 431 ? 'the request line or headers are too large' : status === 408 ? 'the request took too long' : 'the request could not be read'}\n`
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]!}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n${rawHeaderBlock}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}
