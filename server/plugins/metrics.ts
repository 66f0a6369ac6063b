// GET /metrics in Prometheus text format (prom-client, on a registry of this app's own): requests, latency,
// the body cache, the process, and the advisories and each repo's ingest state as the database holds them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Type } from 'typebox'
import type { BodyCache } from '../http/cache.js'
import type { AnswerCache } from '../http/answer-cache.js'
import { leftOutByDirectReplay } from '../http/direct-replay.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counts an answer of this route sent without Fastify's hooks (server/http/direct-replay.ts). */
    countAnswer?: (method: string, status: number, seconds: number) => void
  }
}

/** Latency bucket bounds in seconds: a cached page is answered well under a millisecond, a cold search in tens. */
export const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2]

/** What the worker writes to a repo's last_status; another value is shown as it is. */
const ingestStatuses = ['ok', 'unchanged', 'failed']

/** The responses to one route pattern and method: counts by status, and latencies by bucket. */
class RouteTally {
  readonly statuses = new Map<number, number>()
  /** Not cumulative; the last slot is over the largest bound. */
  readonly buckets = new Float64Array(latencyBuckets.length + 1)
  count = 0
  sum = 0

  observe (status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    let i = 0
    while (i < latencyBuckets.length && seconds > latencyBuckets[i]!) i++
    this.buckets[i]!++
    this.count++
    this.sum += seconds
  }
}

/**
 * Plain numbers per route pattern and method, handed to prom-client only when scraped: prom-client's own
 * `inc(labels)` and `observe(labels, v)` hash the labels into a string on every call (about 2 µs a request
 * here, against about 0.15 µs for this). Labels stay bounded: route patterns, HTTP methods, status codes.
 */
class RequestTallies {
  private readonly routes = new Map<string, Map<string, RouteTally>>()

  /** The tallies of one route pattern, by method. */
  route (route: string): Map<string, RouteTally> {
    let byMethod = this.routes.get(route)
    if (byMethod === undefined) { byMethod = new Map(); this.routes.set(route, byMethod) }
    return byMethod
  }

  * [Symbol.iterator] (): Generator<{ route: string, method: string, tally: RouteTally }> {
    for (const [route, byMethod] of this.routes) for (const [method, tally] of byMethod) yield { route, method, tally }
  }
}

/** Counts an answer in the tally of its method (a route pattern's tallies by method). */
function observe (byMethod: Map<string, RouteTally>, method: string, status: number, seconds: number): void {
  let tally = byMethod.get(method)
  if (tally === undefined) { tally = new RouteTally(); byMethod.set(method, tally) }
  tally.observe(status, seconds)
}

type HistogramData = Awaited<ReturnType<Histogram['get']>>

/** A prom-client histogram whose series are the tallies' (prom-client's registry reads either method). */
class TalliedHistogram extends Histogram<'route' | 'method'> {
  private readonly tallies: RequestTallies

  constructor (tallies: RequestTallies, registry: Registry) {
    super({ name: 'llsc_http_request_duration_seconds', help: 'Time from request to response, by route pattern and method', labelNames: ['route', 'method'], buckets: latencyBuckets, registers: [registry] })
    this.tallies = tallies
  }

  override async get (): Promise<HistogramData> {
    const name = 'llsc_http_request_duration_seconds'
    const values: HistogramData['values'] = []
    for (const { route, method, tally } of this.tallies) {
      let cumulative = 0
      latencyBuckets.forEach((le, i) => {
        cumulative += tally.buckets[i]!
        values.push({ metricName: `${name}_bucket`, labels: { route, method, le }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { route, method, le: '+Inf' }, value: tally.count })
      values.push({ metricName: `${name}_sum`, labels: { route, method }, value: tally.sum })
      values.push({ metricName: `${name}_count`, labels: { route, method }, value: tally.count })
    }
    // prom-client's types declare `type` as a numeric enum that it does not export; the value is the string.
    const type = 'histogram' as unknown as HistogramData['type']
    return { name, help: 'Time from request to response, by route pattern and method', type, aggregator: 'sum', collect: () => {}, values }
  }

  async getForPromString (): Promise<HistogramData> { return await this.get() }
}

function requestMetrics (app: FastifyInstance, registry: Registry): void {
  const tallies = new RequestTallies()
  // Each route counts its own answers in a hook of its own (onResponse with a callback: no promise per request),
  // bound to its pattern's tallies when the route is added: a request reads neither its route's options (a new
  // object on every read of request.routeOptions) nor a map by pattern. Every route is added after this plugin
  // (server/app.ts registers it first). Scrapes of /metrics are left out.
  app.addHook('onRoute', (route) => {
    if (route.url === '/metrics') return
    const byMethod = tallies.route(route.url)
    // The direct replay (server/http/direct-replay.ts) counts its answers through countAnswer instead.
    const count = leftOutByDirectReplay('count', (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      observe(byMethod, request.method, reply.statusCode, reply.elapsedTime / 1000)
      done()
    })
    route.onResponse = route.onResponse === undefined ? [count] : [...(Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), count]
    route.config = { ...route.config, countAnswer: (method: string, status: number, seconds: number) => { observe(byMethod, method, status, seconds) } }
  })
  // Answers no route matched (and Fastify's own answers to unreadable URLs): under "404".
  const unmatched = tallies.route('404')
  // The direct replay answers matched routes only: this has nothing to count there.
  app.addHook('onResponse', leftOutByDirectReplay('unmatched', (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (request.is404) observe(unmatched, request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  }))
  // eslint-disable-next-line no-new
  new Counter({
    name: 'llsc_http_requests_total',
    help: 'Responses by route pattern ("404" when no route matched), method and status code',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    collect () {
      this.reset()
      for (const { route, method, tally } of tallies) for (const [status, n] of tally.statuses) this.inc({ route, method, status }, n)
    }
  })
  // eslint-disable-next-line no-new
  new TalliedHistogram(tallies, registry)
}

function cacheMetrics (cache: BodyCache, answers: AnswerCache, registry: Registry): void {
  const counter = (name: string, help: string, read: () => number): void => {
    // eslint-disable-next-line no-new
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
  }
  counter('llsc_http_cache_hits_total', 'Rendered bodies found in the body cache', () => cache.counts.hits)
  counter('llsc_http_cache_misses_total', 'Bodies rendered because the body cache did not hold them', () => cache.counts.misses)
  counter('llsc_http_cache_not_modified_total', '304 answers made from a kept ETag (no body rendered or looked up)', () => cache.counts.notModified)
  counter('llsc_http_direct_answers_total', 'GETs answered from a kept body before Fastify routed them (also counted as hits)', () => answers.direct)
  // eslint-disable-next-line no-new
  new Gauge({ name: 'llsc_http_cache_entries', help: 'Bodies held in the body cache', registers: [registry], collect () { this.set(cache.size) } })
}

/**
 * Advisories and ingest state, read from the database at each scrape in one read snapshot. The worker (one run
 * or `--watch`) writes each repo's state to the repo table, so the server's /metrics shows the worker's state
 * too: the worker needs no listener of its own, and what is shown is what was committed.
 */
function dataMetrics (app: FastifyInstance, registry: Registry): () => void {
  const gauge = (name: string, help: string, labelNames: string[]): Gauge => new Gauge({ name, help, labelNames, registers: [registry] })
  const advisories = gauge('llsc_advisories', 'Advisories per product, withdrawn ones apart', ['product', 'withdrawn'])
  const age = gauge('llsc_ingest_last_success_age_seconds', 'Seconds since the repo\'s last successful ingest (+Inf: never)', ['product', 'repo'])
  const at = gauge('llsc_ingest_last_success_timestamp_seconds', 'When the repo\'s last successful ingest finished (Unix time)', ['product', 'repo'])
  const status = gauge('llsc_ingest_last_status', 'The status of the repo\'s last ingest: 1 for it, 0 for the others', ['product', 'repo', 'status'])
  return () => {
    const { products, repos } = app.data.read(() => ({ products: app.summary.products(), repos: app.summary.repos() }))
    const now = Date.now()
    for (const g of [advisories, age, at, status]) g.reset()
    for (const p of products) {
      advisories.set({ product: p.id, withdrawn: 'false' }, p.advisories - p.withdrawn)
      advisories.set({ product: p.id, withdrawn: 'true' }, p.withdrawn)
    }
    for (const r of repos) {
      const repo = { product: r.productId, repo: r.url }
      const success = r.lastSuccessAt === null ? null : Date.parse(r.lastSuccessAt)
      age.set(repo, success === null ? Infinity : Math.max(0, now - success) / 1000)
      if (success !== null) at.set(repo, success / 1000)
      const known = r.lastStatus === null || ingestStatuses.includes(r.lastStatus) ? ingestStatuses : [...ingestStatuses, r.lastStatus]
      for (const s of known) status.set({ ...repo, status: s }, s === r.lastStatus ? 1 : 0)
    }
  }
}

export default fp(async (app) => {
  // A registry per app, not prom-client's global one: several apps in one process (the tests) keep apart.
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  requestMetrics(app, registry)
  cacheMetrics(app.bodyCache, app.answerCache, registry)
  const readData = dataMetrics(app, registry)

  app.get('/metrics', {
    schema: { summary: 'Metrics in Prometheus text format', hide: true, response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }) } }
  }, async (_request, reply) => {
    readData()
    const text = await registry.metrics()
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(text)
  })
}, { name: 'metrics', dependencies: ['database', 'http-cache'] })
