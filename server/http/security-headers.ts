// The security headers every answer carries, computed once: set on every routed request, on Fastify's own
// answers to unreadable URLs, and on the raw answers Node's HTTP parser gives before Fastify sees a request.
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'node:net'
import { STATUS_CODES } from 'node:http'

// A strict policy: no inline script or style anywhere, nothing loaded from elsewhere, never framed.
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

export function registerSecurityHeaders (app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders)
    done()
  })
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
