// POST /api/v1/query: which advisories apply to these installed packages? JSON ({ product, packages }) or
// raw `rpm -qa` output as text/plain with ?product=. Rate limited; every unreadable line gets a reason.
// The handler reads as its steps: installed packages from the body -> the kept answer, if any -> match ->
// present. Answers are kept per data generation and input: a fleet built from one image sends the same
// package list again and again, and a repeat costs a hash, not a match.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { FilterError } from '../advisory-filter.js'
import { urls } from '../format.js'
import { BodyCache, sendEntry } from '../http/cache.js'
import { whileIdle } from '../http/idle-connection.js'
import { answerQuery, epochNote, textEntries, type QueryAnswer, type QueryLimits } from '../matching/query-answer.js'
import { apiUrls } from './present.js'
import { ErrorBody, QueryBody, QueryResult } from './schemas.js'
import { evr, nevra } from '../../domain/nevra.js'

const bodyLimit = 8 * 1024 * 1024
const answerType = 'application/json; charset=utf-8'

/** 403: a browser on another origin may read the data (GET) but not drive the query. */
class CrossOriginError extends Error {
  readonly statusCode = 403
}

const Body = Type.Union([QueryBody, Type.String({ description: 'rpm -qa output, one package per line' })])

export interface QueryApiOptions { limits: QueryLimits }

export const queryApi: FastifyPluginAsyncTypebox<QueryApiOptions> = async (app, { limits }) => {
  const answers = new BodyCache(200, 64 * 1024 * 1024)
  // Only JSON and plain text; anything else is 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch (err) {
      done(Object.assign(new Error(`body: not valid JSON (${(err as Error).message})`), { statusCode: 400 }), undefined)
    }
  })
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit }, (_request, body, done) => { done(null, body) })
  app.addHook('onRequest', toolsOnly)

  app.post('/api/v1/query', {
    bodyLimit,
    config: { rateLimit: { max: limits.rateLimit.max, timeWindow: limits.rateLimit.windowMs } },
    schema: {
      operationId: 'queryInstalledPackages',
      summary: 'Advisories that apply to installed packages',
      description: 'Body: `{ "product": "...", "packages": [...] }`, each entry a line as `rpm -qa` prints it (`name-[epoch:]version-release.arch`) or `{name, epoch, version, release, arch}`; or `text/plain` raw `rpm -qa` output with `?product=`. An advisory applies when it fixes a package of the same name and a compatible arch (the same, or noarch) at a higher EVR (rpm\'s own comparison). Only affected packages are listed in `results`; lines that could not be read are in `unparsed` with the reason.',
      tags: ['query'],
      querystring: Type.Object({ product: Type.Optional(Type.String({ description: 'Product id (for a text/plain body)' })) }),
      body: Body,
      response: { 200: QueryResult, 400: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const product = productOf(app, request.body, request.query.product)
    const base = app.baseUrl(request)
    const key = answerKey(base, product, request.body)
    const kept = answers.get(`${app.data.stamp().generation} ${key}`)
    if (kept !== undefined) return sendEntry(answers, request, reply, kept, answerType)
    const entries = typeof request.body === 'string' ? textEntries(request.body) : request.body.packages.map((input, index) => ({ index, input }))
    const { generation, answer } = await whileIdle(request, async () => {
      const { generation, matcher } = await app.matchers.matcherFor(product, app.data.stamp().generation)
      return { generation, answer: await answerQuery(matcher, entries, limits) }
    })
    const entry = { body: Buffer.from(reply.serialize(presentAnswer(base, product, answer)) as string) }
    answers.set(`${generation} ${key}`, entry)
    return sendEntry(answers, request, reply, entry, answerType)
  })
}

/** A browser sends Origin with a cross-origin POST; ops tooling (curl, scanners) sends none or our own. */
async function toolsOnly (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const origin = request.headers.origin
  if (origin !== undefined && origin !== request.server.baseUrl(request)) {
    throw new CrossOriginError(`cross-origin request from ${origin} refused: POST /api/v1/query is for tools, not for pages on other sites`)
  }
}

function productOf (app: FastifyInstance, body: Static<typeof Body>, queryProduct: string | undefined): string {
  const product = typeof body === 'string' ? queryProduct : body.product
  if (product === undefined || product === '') throw new FilterError('product: say which product the packages are installed on (?product= for a text/plain body)')
  const known = app.data.vocabulary().products.map((p) => p.id)
  if (!known.includes(product)) throw new FilterError(`product: unknown product "${product}"; known products: ${known.join(', ')}`)
  return product
}

/** What the answer depends on besides the data: the links' base URL, the product and the installed packages. */
function answerKey (base: string, product: string, body: Static<typeof Body>): string {
  const packages = typeof body === 'string' ? `text\n${body}` : `json\n${JSON.stringify(body.packages)}`
  return createHash('sha256').update(`${base}\n${product}\n`).update(packages).digest('hex')
}

function presentAnswer (base: string, product: string, answer: QueryAnswer): Static<typeof QueryResult> {
  const severities: Record<string, number> = {}
  const counted = new Set<string>()
  const results = answer.findings.map((finding) => ({
    installed: finding.installed,
    epoch_assumed: finding.epochAssumed,
    advisories: finding.advisories.map(({ fixed }) => {
      if (!counted.has(fixed.advisory_id)) {
        counted.add(fixed.advisory_id)
        const severity = fixed.severity?.toLowerCase() ?? 'none'
        severities[severity] = (severities[severity] ?? 0) + 1
      }
      return {
        id: fixed.advisory_id,
        severity: fixed.severity,
        type: fixed.type,
        fixed: nevra(fixed),
        fixed_evr: evr(fixed),
        html_url: base + urls.advisory(product, fixed.advisory_id),
        api_url: base + apiUrls.advisory(product, fixed.advisory_id)
      }
    })
  }))
  return {
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
}
