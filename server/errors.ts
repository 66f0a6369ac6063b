// Errors a page route raises on purpose, and the pages that answer them: a helpful 404, a 400 that names
// the bad parameter, and a 500 that says nothing about the program's insides.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Portal } from './portal.js'

export class NotFoundError extends Error {
  readonly statusCode = 404
  constructor (readonly heading: string, message: string, readonly searchText: string | null = null) { super(message) }
}

const cacheHeaders = ['etag', 'last-modified', 'cache-control']

function wantsJson (request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url === '/healthz' || request.url === '/readyz'
}

function sendError (portal: Portal, request: FastifyRequest, reply: FastifyReply, status: number, heading: string, message: string, searchText: string | null, offerSearch: boolean): FastifyReply {
  for (const h of cacheHeaders) reply.removeHeader(h)
  reply.code(status).header('cache-control', 'no-store')
  if (wantsJson(request)) return reply.send({ statusCode: status, error: heading, message })
  // Feed readers and scripts show a plain message better than an HTML page.
  if (request.url.startsWith('/feeds/')) return reply.type('text/plain; charset=utf-8').send(`${status} ${heading}: ${message}\n`)
  return reply.type('text/html; charset=utf-8').send(portal.render('error', { title: heading, heading, message, searchText, offerSearch }))
}

export function registerErrorPages (app: FastifyInstance, portal: Portal): void {
  app.setNotFoundHandler((request, reply) => {
    return sendError(portal, request, reply, 404, 'Page not found', `Nothing lives at ${decodeSafely(request.url.split('?')[0] ?? '')}. Search the advisories instead:`, null, true)
  })

  app.setErrorHandler((error: FastifyError | NotFoundError, request, reply) => {
    if (error instanceof NotFoundError) return sendError(portal, request, reply, 404, error.heading, error.message, error.searchText, true)
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendError(portal, request, reply, status, status === 400 ? 'Bad request' : 'Request refused', error.message, null, status === 400)
    }
    request.log.error({ err: error }, 'request failed')
    return sendError(portal, request, reply, 500, 'Something went wrong', 'The server could not answer this request. The error has been logged; please try again later.', null, false)
  })
}

function decodeSafely (path: string): string {
  try { return decodeURIComponent(path) } catch { return path }
}
