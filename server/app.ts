// Builds the Fastify application over a read-only database; never listens (server/main.ts does).
import fastifyCompress from '@fastify/compress'
import fastifyCors from '@fastify/cors'
import fastifyHelmet from '@fastify/helmet'
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
import { defaultQueryLimits, registerQueryApi, type QueryLimits } from './api/query.js'
import { registerErrorPages } from './errors.js'
import { registerFeeds } from './routes/feeds.js'
import { Portal } from './portal.js'
import { registerAdvisoryList } from './routes/advisory-list.js'
import { registerAdvisoryPage } from './routes/advisory-page.js'
import { registerCvePage } from './routes/cve-page.js'
import { registerHealth } from './routes/health.js'
import { registerPackagePage } from './routes/package-page.js'
import { registerProductsPage } from './routes/products-page.js'

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
    http: { headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, requestTimeout / 2) }
  })
  app.addHook('onClose', () => { db.close() })

  // A strict policy: no inline script or style anywhere, nothing loaded from elsewhere.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"]
      }
    },
    // The portal is often reached over plain HTTP on an internal network: HSTS is for the proxy in front.
    strictTransportSecurity: false,
    // As the CSP says (frame-ancestors 'none'), for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' }
  })
  await app.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'] })
  await app.register(fastifyStatic, { root: join(projectRoot, 'public'), prefix: '/static/', maxAge: '1d' })
  // Any site may read the data with GET; nothing may POST from a browser on another origin.
  await app.register(fastifyCors, { origin: '*', methods: ['GET', 'HEAD'] })
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: `rate limit: at most ${context.max} queries per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s` })
  })
  await registerOpenApi(app)

  registerErrorPages(app, portal)
  registerHealth(app, portal)
  registerProductsPage(app, portal)
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
