// Errors raised on purpose and the answers to them: for pages a helpful 404, a 400 naming the bad parameter
// and a 500 that says nothing about the program's insides; for the API the same as JSON
// `{ "error", "message" }`; for feeds plain text.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'

export class NotFoundError extends Error {
  readonly statusCode = 404
  constructor (readonly heading: string, message: string, readonly searchText: string | null = null) { super(message) }
}

/** 409: an advisory id that several products use, asked for without ?product=. */
export class AmbiguousError extends Error {
  readonly statusCode = 409
  constructor (message: string, readonly products: string[]) { super(message) }
}

const cacheHeaders = ['etag', 'last-modified', 'cache-control']

function kind (request: FastifyRequest): 'json' | 'text' | 'html' {
  const path = request.url.split('?')[0] ?? ''
  if (path.startsWith('/api/') || path === '/healthz' || path === '/readyz' || path === '/openapi.json') return 'json'
  // Feed readers and scripts show a plain message better than an HTML page.
  if (path.startsWith('/feeds/')) return 'text'
  return 'html'
}

export interface ErrorAnswer { status: number, heading: string, message: string, searchText?: string | null, offerSearch?: boolean, extra?: Record<string, unknown> }

export function sendError (request: FastifyRequest, reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  for (const h of cacheHeaders) reply.removeHeader(h)
  reply.code(answer.status).header('cache-control', 'no-store')
  const statusText = STATUS_CODES[answer.status] ?? 'Error'
  switch (kind(request)) {
    case 'json': return reply.type('application/json; charset=utf-8').send(JSON.stringify({ error: statusText, message: answer.message, ...answer.extra }))
    case 'text': return reply.type('text/plain; charset=utf-8').send(`${answer.status} ${answer.heading}: ${answer.message}\n`)
    default: return reply.type('text/html; charset=utf-8').send(request.server.render('error', {
      title: answer.heading, heading: answer.heading, message: answer.message, searchText: answer.searchText ?? null, offerSearch: answer.offerSearch ?? false
    }))
  }
}

export function registerErrorPages (app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const path = decodeSafely(request.url.split('?')[0] ?? '')
    const message = kind(request) === 'json' ? `no such endpoint: ${request.method} ${path}; see /openapi.json` : `Nothing lives at ${path}. Search the advisories instead:`
    return sendError(request, reply, { status: 404, heading: 'Page not found', message, offerSearch: true })
  })

  app.setErrorHandler((error: FastifyError | NotFoundError | AmbiguousError, request, reply) => {
    if (error instanceof NotFoundError) return sendError(request, reply, { status: 404, heading: error.heading, message: error.message, searchText: error.searchText, offerSearch: true })
    if (error instanceof AmbiguousError) return sendError(request, reply, { status: 409, heading: 'Ambiguous', message: error.message, extra: { products: error.products } })
    const status = error.statusCode ?? 500
    if ('code' in error && error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendError(request, reply, { status: 415, heading: 'Unsupported content type', message: `content type "${request.headers['content-type'] ?? ''}" is not accepted: send application/json or text/plain` })
    }
    if ('code' in error && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(request, reply, { status: 413, heading: 'Body too large', message: `the request body is larger than this endpoint accepts (${Math.round((request.routeOptions.bodyLimit ?? 0) / 1024 / 1024)} MB)` })
    }
    if (status >= 400 && status < 500) {
      // Fastify's own validation messages name the field ("querystring/limit must be ..."): keep them.
      const heading = status === 400 ? 'Bad request' : status === 429 ? 'Too many requests' : 'Request refused'
      return sendError(request, reply, { status, heading, message: error.message, offerSearch: status === 400 })
    }
    request.log.error({ err: error, reqId: request.id, method: request.method, url: request.url }, 'request failed')
    return sendError(request, reply, { status: 500, heading: 'Something went wrong', message: 'The server could not answer this request. The error has been logged; please try again later.' })
  })
}

function decodeSafely (path: string): string {
  try { return decodeURIComponent(path) } catch { return path }
}
