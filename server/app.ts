// Builds the Fastify application over a read-only database; never listens (bin/serve.ts does). Plugins
// decorate the instance (database, HTTP cache, views); each route file is a plugin that reads as
// validate -> read -> render.
import fastifyRateLimit from '@fastify/rate-limit'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { advisoryApi } from './api/advisories.js'
import { healthApi } from './api/health.js'
import { lookupApi } from './api/lookups.js'
import { apiDocs, openApi } from './api/openapi.js'
import { osvExport } from './api/osv-export.js'
import { queryApi } from './api/query.js'
import { statsApi } from './api/stats.js'
import { closeApiQuerystrings, schemaErrorFormatter } from './api/strict-params.js'
import { feeds } from './feeds/feeds.js'
import type { LogLevel, TrustProxy } from './config.js'
import { assetVersions } from './http/app-version.js'
import { compilersOnFirstUse } from './http/lazy-schemas.js'
import httpCache from './http/cache-plugin.js'
import { registerErrorPages, sendError } from './http/errors.js'
import { clientErrorHandler, registerResponseHeaders, securityHeaders } from './http/security-headers.js'
import staticFiles from './http/static-files.js'
import { defaultQueryLimits, type QueryLimits } from './matching/query-answer.js'
import { advisoryListPage } from './pages/advisory-list.js'
import { advisoryPage } from './pages/advisory-page.js'
import { checkPage } from './pages/check-page.js'
import { cvePage } from './pages/cve-page.js'
import { packagePage } from './pages/package-page.js'
import { productsPage } from './pages/products-page.js'
import { sitemap } from './pages/sitemap.js'
import { statsPage } from './pages/stats-page.js'
import database from './plugins/database.js'
import metrics from './plugins/metrics.js'
import views from './plugins/views.js'
import { siteLinks } from './pages/site-links.js'

export interface AppOptions {
  dbPath: string
  /** Logs to stdout as JSON lines (asynchronously); off in tests. */
  logger?: boolean
  logLevel?: LogLevel
  /** One log line per request (off: no per-request logging cost at all). */
  accessLog?: boolean
  /** Fastify's trustProxy: which proxies to believe for the client address, scheme and host. */
  trustProxy?: TrustProxy
  /** Base of absolute URLs (feeds); without it, the request's own scheme and host. */
  publicUrl?: string | null
  /** POST /api/v1/query: batch size and rate limit per client address. */
  queryLimits?: QueryLimits
  /** A client must send its whole request (headers and body) within this time, or it is cut off. */
  requestTimeoutMs?: number
  /**
   * Pages for a static copy (docs/static-export.md, "Exported pages"): absent, the live server's pages; a URL,
   * search, filters, "Check a server" and query-string links go to that host; null, they are left out.
   */
  dynamicUrl?: string | null
  /** With `dynamicUrl` given: the static copy holds the per-CVE feeds, so the pages link them there. */
  cveFeeds?: boolean
  /**
   * Compile a route's schemas when it first answers (the export, which renders a few routes), not at start
   * (the live server, where a broken schema should stop the start).
   */
  compileSchemasOnFirstUse?: boolean
}

export const defaultRequestTimeoutMs = 30_000

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  // Advisory ids and package names can be long; the default limit of 100 characters would 404 them.
  // Slow clients (slowloris) are cut off: the whole request within requestTimeout, headers sooner.
  const requestTimeout = options.requestTimeoutMs ?? defaultRequestTimeoutMs
  const log = options.logger === true ? logDestination(options.logLevel ?? 'info') : null
  const app = Fastify({
    loggerInstance: log?.logger,
    // Requests share the app's logger (no child logger per request); the access log is one line, below.
    childLoggerFactory: (logger) => logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxyOption(options.trustProxy ?? false),
    routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true },
    requestTimeout,
    connectionTimeout: requestTimeout * 2,
    // Node checks those timeouts on this interval (30 s by default): check often enough to honour them.
    http: { headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1000, requestTimeout / 2) },
    // A URL that cannot be decoded (`%ZZ`, overlong UTF-8, lone surrogates) never reaches the hooks: answer
    // it like any other 400, security headers included. The same for what Node's parser refuses (431, 400).
    frameworkErrors: (error, request, reply) => {
      reply.headers(securityHeaders)
      return sendError(request, reply, { status: 400, heading: 'Bad request', message: 'the URL is not valid: it holds a broken percent-encoding or bytes that are not UTF-8' + (error.code === 'FST_ERR_BAD_URL' ? '' : ` (${error.message})`) })
    },
    clientErrorHandler,
    // A parameter the schema does not know is an error, not something to drop silently.
    ajv: { customOptions: { removeAdditional: false } },
    ...(options.compileSchemasOnFirstUse === true ? { schemaController: { compilersFactory: compilersOnFirstUse() } } : {}),
    schemaErrorFormatter
  }).withTypeProvider<TypeBoxTypeProvider>()
  if (log !== null) app.addHook('onClose', async () => { log.flush() })
  if (options.accessLog === true) {
    // A callback hook (no promise per request); pino's asynchronous destination buffers the line.
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ip: request.ip }, 'request')
      done()
    })
  }
  try {
    await register(app, options)
  } catch (err) {
    await app.close()
    throw err
  }
  return app
}

/** A hop count believes that many proxies nearest the server (Fastify's types take it as a function). */
function trustProxyOption (trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}

/** pino writing asynchronously to stdout: a log line never waits for the terminal or the journal. */
function logDestination (level: LogLevel): { logger: FastifyBaseLogger, flush: () => void } {
  const destination = pino.destination({ dest: 1, sync: false })
  return { logger: pino({ level }, destination), flush: () => { try { destination.flushSync() } catch {} } }
}

async function register (app: FastifyInstance, options: AppOptions): Promise<void> {
  const { appVersion, cssHref } = assetVersions()
  const queryLimits = options.queryLimits ?? defaultQueryLimits
  await app.register(database, { dbPath: options.dbPath })
  await app.register(httpCache, { appVersion, publicUrl: options.publicUrl ?? null })
  await app.register(views, { cssHref, site: siteLinks({ dynamicUrl: options.dynamicUrl, cveFeeds: options.cveFeeds }) })
  await app.register(metrics)
  // Security headers and CORS (any site may read the data with GET or HEAD, nothing else): one hook.
  registerResponseHeaders(app)
  closeApiQuerystrings(app)
  await app.register(staticFiles)
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: `rate limit: at most ${context.max} queries per ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s` })
  })
  await app.register(openApi)
  registerErrorPages(app)

  await app.register(checkPage, { limits: queryLimits })
  await app.register(queryApi, { limits: queryLimits })
  for (const routes of [healthApi, productsPage, sitemap, cvePage, packagePage, feeds, advisoryApi, lookupApi, statsApi, statsPage, osvExport, apiDocs, advisoryListPage, advisoryPage]) {
    await app.register(routes)
  }
}
