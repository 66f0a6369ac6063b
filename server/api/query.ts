// POST /api/v1/query: which advisories apply to these installed packages? JSON ({ product, packages }) or
// raw `rpm -qa` output as text/plain with ?product=. Rate limited; every unreadable line gets a reason.
// Answers are kept per data generation and request body: a fleet built from one image sends the same
// package list again and again, and a repeat costs a hash, not a match.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { Type } from 'typebox'
import { FilterError } from '../advisory-filter.js'
import { nevra, urls } from '../format.js'
import { BodyCache, sendEntry, type Entry } from '../http/cache.js'
import type { Portal } from '../portal.js'
import { answerQuery, epochNote, textEntries, type QueryLimits } from '../matching/query-answer.js'
import { apiUrls } from './present.js'
import { ErrorBody, QueryBody, QueryResult, type QueryBodyType } from './schemas.js'

const bodyLimit = 8 * 1024 * 1024
const answerType = 'application/json; charset=utf-8'

/** 403: a browser on another origin may read the data (GET) but not drive the query. */
class CrossOriginError extends Error {
  readonly statusCode = 403
}

/** The request's identity for the answer cache, computed from the raw body while it is parsed. */
const cacheKeys = new WeakMap<FastifyRequest, string>()
const alreadyAnswered = Object.freeze({ alreadyAnswered: true })
/** The kept answer found while parsing, so preValidation sends exactly that one. */
const keptAnswers = new WeakMap<FastifyRequest, Entry>()

export { defaultQueryLimits, epochNote, type QueryLimits } from '../matching/query-answer.js'

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
      operationId: 'queryInstalledPackages',
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
    const entries = text ? textEntries(request.body as string) : (request.body as QueryBodyType).packages.map((input, index) => ({ index, input }))
    const base = portal.baseUrl(request)
    const { generation, matcher } = await portal.matchers.matcherFor(product, portal.stamp().generation)
    const answer = await answerQuery(matcher, entries, limits)
    const severities: Record<string, number> = {}
    const counted = new Set<string>()
    const results = answer.findings.map((finding) => ({
      installed: finding.installed,
      epoch_assumed: finding.epochAssumed,
      advisories: finding.advisories.map(({ fixed }) => {
        if (!counted.has(fixed.advisoryId)) {
          counted.add(fixed.advisoryId)
          const severity = fixed.severity?.toLowerCase() ?? 'none'
          severities[severity] = (severities[severity] ?? 0) + 1
        }
        return {
          id: fixed.advisoryId,
          severity: fixed.severity,
          type: fixed.type,
          fixed: nevra(fixed),
          fixed_evr: `${fixed.epoch === '0' ? '' : `${fixed.epoch}:`}${fixed.version}-${fixed.release}`,
          html_url: base + urls.advisory(product, fixed.advisoryId),
          api_url: base + apiUrls.advisory(product, fixed.advisoryId)
        }
      })
    }))
    const body = {
      product,
      checked: answer.checked,
      affected: results.length,
      advisories: counted.size,
      severities,
      epochs_assumed: answer.epochsAssumed,
      note: answer.epochsAssumed === 0 ? null : epochNote(answer.epochsAssumed),
      results,
      unparsed: answer.unparsed
    }
    reply.header('cache-control', 'no-store')
    const entry = { body: Buffer.from(reply.serialize(body) as string) }
    const key = answerKey(request, generation)
    if (key !== null) answers.set(key, entry)
    return sendEntry(answers, request, reply, entry, answerType)
  })
}
