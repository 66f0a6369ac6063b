// `/check`, "Check a server": a form (no script) for pasted `rpm -qa` output and a product, answered with the
// advisories that apply, by severity, and one command for them all in the product's package manager. The matching is POST /api/v1/query's.
import fastifyFormbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { urls } from '../format.js'
import { nevra } from '../../domain/nevra.js'
import { answerQuery, epochNote, QueryInputError, QueryTooLargeError, textEntries, type QueryAnswer, type QueryLimits } from '../matching/query-answer.js'
import { advisoryCommand, packageManagerOf } from '../../domain/update-command.js'
import { severityRank } from '../../domain/vocabulary.js'

const bodyLimit = 8 * 1024 * 1024
const title = 'Check a server'

/** What the person sent, shown again in the form so they can correct it and send it again. */
interface CheckForm { product: string, packages: string }

interface Fix { installed: string, epochAssumed: boolean, fixed: string }
interface AdvisoryGroup { severity: string | null, advisories: Array<{ id: string, href: string, type: string | null, fixes: Fix[] }> }

export interface CheckResult {
  product: { id: string, name: string }
  /** Packages read from the lines (duplicates counted), lines that could not be read. */
  read: number
  advisories: number
  groups: AdvisoryGroup[]
  command: string | null
  epochNote: string | null
  /** Installed packages with advisories whose epoch was not given and so was assumed. */
  assumed: string[]
  unparsed: QueryAnswer['unparsed']
}

/** 400 (or 413, 415): the form again, with the reason above it. */
class CheckInputError extends Error {
  constructor (readonly statusCode: number, message: string) { super(message) }
}

/** 403: another site's page may not drive the check (the same rule as the API's query). */
class CrossOriginError extends Error {
  readonly statusCode = 403
}

export interface CheckPageOptions { limits: QueryLimits }

export const checkPage: FastifyPluginAsyncTypebox<CheckPageOptions> = async (app, { limits }) => {
  // Only this route reads form bodies, and only form bodies (a plugin is its own scope).
  app.removeAllContentTypeParsers()
  await app.register(fastifyFormbody, { bodyLimit })
  app.addHook('onRequest', sameOriginOnly)
  app.setErrorHandler(formErrors)

  app.get('/check', { schema: { summary: '"Check a server": the form', tags: ['pages'] } }, async (_request, reply) => {
    return reply.page('check', () => pageData(app, emptyForm, null, null))
  })

  app.post('/check', {
    bodyLimit,
    schema: {
      summary: '"Check a server": the advisories that apply to pasted rpm -qa output, as an HTML page',
      description: 'A form post (`application/x-www-form-urlencoded`) with `product` and `packages`; matched as `POST /api/v1/query` matches. Rate limited like it; answered with `Cache-Control: no-store`.',
      tags: ['pages'],
      // Any body: what a person got wrong is shown on the form, not as a validation error.
      body: Type.Unknown({ description: 'Form fields product and packages' })
    },
    config: { rateLimit: { max: limits.rateLimit.max, timeWindow: limits.rateLimit.windowMs } }
  }, async (request, reply) => {
    const { product, packages } = formFields(request.body)
    const form = { product: typeof product === 'string' ? product : '', packages: typeof packages === 'string' ? packages : '' }
    try {
      if (typeof product !== 'string') throw new CheckInputError(400, 'Choose one product (the form sent several).')
      if (typeof packages !== 'string') throw new CheckInputError(400, 'Send the packages in one field (the form sent several).')
      const chosen = knownProduct(app, product)
      const entries = textEntries(packages)
      if (entries.length === 0) throw new CheckInputError(400, 'Paste the output of rpm -qa: there is no package line in the box (blank lines and lines starting with # are skipped).')
      const { matcher } = await app.matchers.matcherFor(product, app.data.stamp().generation)
      const answer = await answerQuery(matcher, entries, limits)
      return sendHtml(reply, 200, app.render('check', pageData(app, form, checkResult(chosen, answer), null)))
    } catch (err) {
      if (err instanceof CheckInputError || err instanceof QueryInputError || err instanceof QueryTooLargeError) {
        return sendForm(app, reply, err.statusCode, form, err.message)
      }
      throw err
    }
  })
}

/** The fields as the form sent them: a string, several strings (a repeated field) or nothing. */
function formFields (body: unknown): { product: unknown, packages: unknown } {
  if (typeof body !== 'object' || body === null) return { product: undefined, packages: undefined }
  const product = 'product' in body ? body.product : undefined
  const packages = 'packages' in body ? body.packages : undefined
  return { product: product ?? '', packages: packages ?? '' }
}

function knownProduct (app: FastifyInstance, product: string): { id: string, name: string, packageManager: string | null } {
  const known = app.data.vocabulary().products
  const chosen = known.find((p) => p.id === product)
  if (product === '') throw new CheckInputError(400, 'Choose the product the server runs.')
  if (chosen === undefined) throw new CheckInputError(400, `Unknown product "${product}"; known products: ${known.map((p) => p.id).join(', ')}.`)
  const packageManager = app.data.read(() => app.summary.products()).find((p) => p.id === product)?.package_manager ?? null
  return { id: chosen.id, name: chosen.name, packageManager }
}

async function sameOriginOnly (request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // The portal's own pages send no Referer and, under no-referrer, a form post would carry `Origin: null`;
  // same-origin keeps both for our own requests only, so the Origin check below can tell our form apart.
  reply.header('referrer-policy', 'same-origin')
  if (request.method !== 'POST') return
  const origin = request.headers.origin
  if (origin !== undefined && origin !== request.server.baseUrl(request)) {
    throw new CrossOriginError(`cross-origin request from ${origin} refused: the check form only answers its own page`)
  }
}

/** What the body parser refuses is shown on the form, which the person can send again. */
function formErrors (this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendForm(this, reply, 413, emptyForm, `The pasted text is larger than ${bodyLimit / 1024 / 1024} MB: check the packages of one server at a time.`)
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendForm(this, reply, 415, emptyForm, `Content type "${request.headers['content-type'] ?? ''}" is not accepted: send the form as application/x-www-form-urlencoded.`)
  }
  // Anything else goes to the site's error pages (http/errors.ts): 403, 429, 500. The rate limiter throws a
  // plain object, which Fastify would send as a 200 JSON body if rethrown as it is.
  if (error instanceof Error) throw error
  throw Object.assign(new Error(String((error as { message?: unknown }).message)), { statusCode: (error as { statusCode?: number }).statusCode })
}

const emptyForm: CheckForm = { product: '', packages: '' }

const shownLine = 300
const byId = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })

/** The answer as the page shows it: advisories grouped by severity, each with the packages it fixes. */
export function checkResult (product: { id: string, name: string, packageManager: string | null }, answer: QueryAnswer): CheckResult {
  const advisories = new Map<string, { id: string, severity: string | null, type: string | null, fixes: Fix[] }>()
  for (const finding of answer.findings) {
    for (const { fixed } of finding.advisories) {
      let advisory = advisories.get(fixed.advisory_id)
      if (advisory === undefined) {
        advisory = { id: fixed.advisory_id, severity: fixed.severity?.toLowerCase() ?? null, type: fixed.type, fixes: [] }
        advisories.set(fixed.advisory_id, advisory)
      }
      advisory.fixes.push({ installed: finding.installed, epochAssumed: finding.epochAssumed, fixed: nevra(fixed) })
    }
  }
  const groups = new Map<string | null, AdvisoryGroup>()
  // Within a severity the newest advisories first: ids carry the year and a running number.
  const ordered = [...advisories.values()].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) ||
    (a.severity ?? '').localeCompare(b.severity ?? '') || byId(b.id, a.id))
  for (const a of ordered) {
    let group = groups.get(a.severity)
    if (group === undefined) groups.set(a.severity, group = { severity: a.severity, advisories: [] })
    group.advisories.push({ id: a.id, href: urls.advisory(product.id, a.id), type: a.type, fixes: a.fixes.sort((x, y) => byId(x.installed, y.installed)) })
  }
  const assumed = answer.findings.filter((f) => f.epochAssumed).map((f) => f.installed).sort(byId)
  return {
    product,
    read: answer.checked,
    advisories: ordered.length,
    groups: [...groups.values()],
    // The product's package manager (yum, dnf, zypper) or, unconfigured, the one its ids imply; none: null.
    command: ordered.length === 0 ? null : advisoryCommand(packageManagerOf(product.packageManager, ordered[0]!.id), ordered.map((a) => a.id)),
    epochNote: answer.epochsAssumed === 0 ? null : epochNote(answer.epochsAssumed),
    assumed,
    // A pasted line can be megabytes long: the list shows its start (the form below still holds all of it).
    unparsed: answer.unparsed.map((u) => u.input.length <= shownLine ? u : { ...u, input: `${u.input.slice(0, shownLine)}…` })
  }
}

function pageData (app: FastifyInstance, form: CheckForm, result: CheckResult | null, error: string | null): Record<string, unknown> {
  return {
    title: result === null ? title : `${title}: ${result.advisories} ${result.advisories === 1 ? 'advisory applies' : 'advisories apply'}`,
    description: 'Paste rpm -qa output, pick the product, and see which advisories apply to the server.',
    canonical: '/check',
    nav: 'check',
    products: app.data.vocabulary().products,
    form,
    result,
    error
  }
}

function sendForm (app: FastifyInstance, reply: FastifyReply, status: number, form: CheckForm, message: string): FastifyReply {
  return sendHtml(reply, status, app.render('check', pageData(app, form, null, message)))
}

/** An answer to one person's packages: never kept by a browser or a proxy. */
function sendHtml (reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html)
}
