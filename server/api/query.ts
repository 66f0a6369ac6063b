// POST /api/v1/query: which advisories apply to these installed packages? JSON ({ product, packages }) or
// raw `rpm -qa` output as text/plain with ?product=. Rate limited; every unreadable line gets a reason.
// Answers are kept per data generation and request body: a fleet built from one image sends the same
// package list again and again, and a repeat costs a hash, not a match.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { Type } from 'typebox'
import { FilterError } from '../advisory-filter.js'
import { nevra, urls } from '../format.js'
import { BodyCache, sendEntry, type Entry } from '../http-cache.js'
import type { Portal } from '../portal.js'
import { MatcherIndex, nextTurn } from '../rpm/matcher-index.js'
import { formatInstalled, parsePackageObject, parseRpmLine, type InstalledPackage } from '../rpm/installed.js'
import { apiUrls } from './present.js'
import { ErrorBody, QueryBody, QueryResult, type QueryBodyType } from './schemas.js'

export interface QueryLimits {
  maxPackages: number
  /** Version comparisons one answer may cost: distinct installed packages x the fixes listed for their names. */
  maxComparisons: number
  /** Applicable advisories one answer may list (installed packages x advisories). */
  maxResults: number
  rateLimit: { max: number, windowMs: number }
}

// Far above a real server (3,000 packages meet a few thousand fixes; a kernel with 300 advisories on two
// arches costs 600 comparisons per installed kernel), far below what would hold the process for seconds.
export const defaultQueryLimits: QueryLimits = { maxPackages: 50_000, maxComparisons: 2_000_000, maxResults: 50_000, rateLimit: { max: 120, windowMs: 60_000 } }

const bodyLimit = 8 * 1024 * 1024
const answerType = 'application/json; charset=utf-8'
// Matching works in slices of about this many milliseconds, then lets other requests run.
const sliceMs = 10

/** 413: the answer would cost more than one request may. */
export class QueryTooLargeError extends Error {
  readonly statusCode = 413
}

/** 403: a browser on another origin may read the data (GET) but not drive the query. */
class CrossOriginError extends Error {
  readonly statusCode = 403
}

/** The request's identity for the answer cache, computed from the raw body while it is parsed. */
const cacheKeys = new WeakMap<FastifyRequest, string>()
const alreadyAnswered = Object.freeze({ alreadyAnswered: true })
/** The kept answer found while parsing, so preValidation sends exactly that one. */
const keptAnswers = new WeakMap<FastifyRequest, Entry>()

export async function registerQueryApi (app: FastifyInstance, portal: Portal, limits: QueryLimits): Promise<void> {
  await app.register(async (scope) => queryRoute(scope, portal, limits))
}

async function queryRoute (app: FastifyInstance, portal: Portal, limits: QueryLimits): Promise<void> {
  const answers = new BodyCache(200, 64 * 1024 * 1024)
  const answerKey = (request: FastifyRequest, generation = portal.stamp().generation): string | null => {
    const key = cacheKeys.get(request)
    return key === undefined ? null : `${generation} ${portal.baseUrl(request)} ${key}`
  }
  // Only JSON and plain text (anything else is 415), read as text so the raw body can key the cache.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = body as string
    const json = (request.headers['content-type'] ?? '').trim().toLowerCase().startsWith('application/json')
    const key = createHash('sha256').update(`${json ? 'json' : 'text'}\n${String((request.query as { product?: string }).product)}\n`).update(text).digest('hex')
    cacheKeys.set(request, key)
    // A body answered before is not parsed again: preValidation sends the kept answer.
    const kept = answers.get(answerKey(request)!)
    if (kept !== undefined) { keptAnswers.set(request, kept); done(null, alreadyAnswered); return }
    if (!json) { done(null, text); return }
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(Object.assign(new Error(`body: not valid JSON (${(err as Error).message})`), { statusCode: 400 }), undefined)
    }
  })

  const index = new MatcherIndex(portal.query, portal.summary, (read) => portal.snapshot(read))

  // A browser sends Origin with a cross-origin POST; ops tooling (curl, scanners) sends none or our own.
  app.addHook('onRequest', async (request) => {
    const origin = request.headers.origin
    if (origin !== undefined && origin !== portal.baseUrl(request)) {
      throw new CrossOriginError(`cross-origin request from ${origin} refused: POST /api/v1/query is for tools, not for pages on other sites`)
    }
  })

  app.post('/api/v1/query', {
    bodyLimit,
    preValidation: async (request, reply) => {
      const cached = keptAnswers.get(request)
      if (cached !== undefined) {
        reply.header('cache-control', 'no-store')
        return sendEntry(answers, request, reply, cached, answerType)
      }
    },
    config: { rateLimit: { max: limits.rateLimit.max, timeWindow: limits.rateLimit.windowMs } },
    schema: {
      summary: 'Advisories that apply to installed packages',
      description: 'Body: `{ "product": "...", "packages": [...] }`, each entry a line as `rpm -qa` prints it (`name-[epoch:]version-release.arch`) or `{name, epoch, version, release, arch}`; or `text/plain` raw `rpm -qa` output with `?product=`. An advisory applies when it fixes a package of the same name and a compatible arch (the same, or noarch) at a higher EVR (rpm\'s own comparison). Only affected packages are listed in `results`; lines that could not be read are in `unparsed` with the reason.',
      tags: ['query'],
      querystring: Type.Object({ product: Type.Optional(Type.String({ description: 'Product id (for a text/plain body)' })) }),
      body: Type.Union([QueryBody, Type.String({ description: 'rpm -qa output, one package per line' })]),
      response: { 200: QueryResult, 400: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody }
    }
  }, async (request, reply) => {
    const text = typeof request.body === 'string'
    const product = text ? (request.query as { product?: string }).product : (request.body as QueryBodyType).product
    if (product === undefined || product === '') throw new FilterError('product: say which product the packages are installed on (?product= for a text/plain body)')
    const known = portal.vocabulary().products.map((p) => p.id)
    if (!known.includes(product)) throw new FilterError(`product: unknown product "${product}"; known products: ${known.join(', ')}`)
    const entries: Array<{ index: number, input: unknown }> = text
      ? (request.body as string).split('\n').map((line, i) => ({ index: i + 1, input: line.replace(/\r$/, '') })).filter((e) => (e.input as string).trim() !== '' && !(e.input as string).startsWith('#'))
      : (request.body as QueryBodyType).packages.map((input, i) => ({ index: i, input }))
    if (entries.length > limits.maxPackages) throw new FilterError(`packages: at most ${limits.maxPackages} per request, got ${entries.length}`)

    const base = portal.baseUrl(request)
    const { generation, matcher } = await index.matcherFor(product, portal.stamp().generation)
    const results: unknown[] = []
    const unparsed: Array<{ index: number, input: string, reason: string }> = []
    // Identical installed packages are answered once: their cost is bounded before any matching starts.
    const installed = new Map<string, InstalledPackage>()
    let deadline = performance.now() + sliceMs
    const pause = async (): Promise<void> => {
      if (performance.now() < deadline) return
      await nextTurn()
      deadline = performance.now() + sliceMs
    }
    for (const { index: at, input } of entries) {
      const parsed = typeof input === 'string' ? parseRpmLine(input) : parsePackageObject(input as Record<string, unknown>)
      if (!parsed.ok) unparsed.push({ index: at, input: typeof input === 'string' ? input : JSON.stringify(input), reason: parsed.reason })
      else installed.set(formatInstalled(parsed.pkg), parsed.pkg)
      if ((at & 1023) === 0) await pause()
    }
    let comparisons = 0
    for (const pkg of installed.values()) comparisons += matcher.candidateCount(pkg.name)
    if (comparisons > limits.maxComparisons) {
      throw new QueryTooLargeError(`packages: this query would compare ${installed.size} distinct installed packages with ${comparisons} fixed packages of the same names, over the limit of ${limits.maxComparisons} comparisons per request; send fewer packages per request`)
    }
    let listed = 0
    for (const [text, pkg] of installed) {
      await pause()
      const applicable = matcher.match(pkg)
      if (applicable.length === 0) continue
      listed += applicable.length
      if (listed > limits.maxResults) {
        throw new QueryTooLargeError(`packages: the answer would list more than ${limits.maxResults} applicable advisories; send fewer packages per request`)
      }
      results.push({
        installed: text,
        advisories: applicable.map(({ fixed }) => ({
          id: fixed.advisoryId,
          severity: fixed.severity,
          type: fixed.type,
          fixed: nevra(fixed),
          fixed_evr: `${fixed.epoch === '0' ? '' : `${fixed.epoch}:`}${fixed.version}-${fixed.release}`,
          html_url: base + urls.advisory(product, fixed.advisoryId),
          api_url: base + apiUrls.advisory(product, fixed.advisoryId)
        }))
      })
    }
    reply.header('cache-control', 'no-store')
    const entry = { body: Buffer.from(reply.serialize({ product, checked: entries.length - unparsed.length, affected: results.length, results, unparsed }) as string) }
    const key = answerKey(request, generation)
    if (key !== null) answers.set(key, entry)
    return sendEntry(answers, request, reply, entry, answerType)
  })
}
