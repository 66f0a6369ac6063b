// Builds the Fastify application over a read-only database; never listens (server/main.ts does).
import fastifyCompress from '@fastify/compress'
import fastifyCors from '@fastify/cors'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { assertSchemaCurrent } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { projectRoot } from '../db/paths.js'
import { registerAdvisoryApi } from './api/advisories.js'
import { registerLookupApi } from './api/lookups.js'
import { registerApiDocs, registerOpenApi } from './api/openapi.js'
import { registerOsvExport } from './api/osv-export.js'
import { registerStrictParams, schemaErrorFormatter } from './api/strict-params.js'
import { defaultQueryLimits, registerQueryApi, type QueryLimits } from './api/query.js'
import { registerErrorPages, sendError } from './http/errors.js'
import { registerFeeds } from './feeds/feeds.js'
import { Portal } from './portal.js'
import { registerAdvisoryList } from './pages/advisory-list.js'
import { registerAdvisoryPage } from './pages/advisory-page.js'
import { registerCheckPage } from './pages/check-page.js'
import { registerCvePage } from './pages/cve-page.js'
import { registerHealth } from './api/health.js'
import { registerPackagePage } from './pages/package-page.js'
import { registerProductsPage } from './pages/products-page.js'
import { clientErrorHandler, registerSecurityHeaders, securityHeaders } from './http/security-headers.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The database's stores, views and body cache that the routes share. */
    portal: Portal
  }
}

export interface AppOptions {
  dbPath: string
  logger?: boolean
  /** Base of absolute URLs (feeds); without it, the request's own scheme and host. */
  publicUrl?: string | null
  /** POST /api/v1/query: batch size and rate limit per client address. */
  queryLimits?: QueryLimits
  /** A client must send its whole request (headers and body) within this time, or it is cut off. */
  requestTimeoutMs?: number
}

export const defaultRequestTimeoutMs = 30_000

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  // The server only reads: ingests write through their own connection, WAL lets both run at once.
  if (!existsSync(options.dbPath)) throw new Error(`database ${options.dbPath} does not exist: run "npm start" or "npm run ingest" first`)
  const db = openDatabase(options.dbPath, { readonly: true })
  try {
    assertSchemaCurrent(db)
  } catch (err) {
    db.close()
    throw err
  }
  const portal = new Portal(db, options.dbPath, options.publicUrl ?? null)

  // Advisory ids and package names can be long; the default limit of 100 characters would 404 them.
  // Slow clients (slowloris) are cut off: the whole request within requestTimeout, headers sooner.
  const requestTimeout = options.requestTimeoutMs ?? defaultRequestTimeoutMs
  const app = Fastify({
    logger: options.logger ?? false,
    routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true },
    requestTimeout,
    connectionTimeout: requestTimeout * 2,
    // Node checks those timeouts on this interval (30 s by default): check often enough to honour them.
    http: { headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, requestTimeout / 2) },
    // A URL that cannot be decoded (`%ZZ`, overlong UTF-8, lone surrogates) never reaches the hooks: answer
    // it like any other 400, security headers included. The same for what Node's parser refuses (431, 400).
    frameworkErrors: (error, request, reply) => {
      reply.headers(securityHeaders)
      return sendError(portal, request, reply, { status: 400, heading: 'Bad request', message: 'the URL is not valid: it holds a broken percent-encoding or bytes that are not UTF-8' + (error.code === 'FST_ERR_BAD_URL' ? '' : ` (${error.message})`) })
    },
    clientErrorHandler,
    // A parameter the schema does not know is an error, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter
  })
  app.addHook('onClose', () => { db.close() })
  app.decorate('portal', portal)
  registerSecurityHeaders(app)
  registerStrictParams(app)
  await app.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'] })
  await app.register(fastifyStatic, { root: join(projectRoot, 'public'), prefix: '/static/', maxAge: '1d' })
  // Any site may read the data with GET; nothing else is open to other origins (a text/plain POST needs no
  // preflight, so the query answer must not carry the header either).
  await app.register(fastifyCors, {
    delegator: (request, callback) => {
      const method = request.method === 'OPTIONS' ? request.headers['access-control-request-method'] : request.method
      callback(null, method === 'GET' || method === 'HEAD' ? { origin: '*', methods: ['GET', 'HEAD'] } : { origin: false })
    }
  })
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: `rate limit: at most ${context.max} queries per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s` })
  })
  await registerOpenApi(app)

  registerErrorPages(app, portal)
  registerHealth(app, portal)
  registerProductsPage(app, portal)
  await registerCheckPage(app, portal, options.queryLimits ?? defaultQueryLimits)
  registerCvePage(app, portal)
  registerPackagePage(app, portal)
  registerFeeds(app, portal)
  registerAdvisoryApi(app, portal)
  registerLookupApi(app, portal)
  await registerQueryApi(app, portal, options.queryLimits ?? defaultQueryLimits)
  registerOsvExport(app, portal)
  registerApiDocs(app, portal)
  registerAdvisoryList(app, portal)
  registerAdvisoryPage(app, portal)
  return app
}
