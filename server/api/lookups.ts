// GET /api/v1/cves/{cve}, /api/v1/packages/{name} and /api/v1/products.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { emptyFilter } from '../../db/advisory-query.js'
import { FilterError } from '../advisory-filter.js'
import { NotFoundError } from '../http/errors.js'
import { urls } from '../format.js'
import { withFixesJson } from './present.js'
import { CveBody, ErrorBody, PackageAdvisories, ProductsBody } from './schemas.js'
import { isCveId, notACveId } from '../../domain/cve.js'

// Each route states its whole API contract (operationId, summary, tags, params, responses) where it is
// served, so route declarations have the same shape here and in the other API files.

// Enough for any real CVE or package; the API says so rather than truncating silently.
const maxAdvisories = 5000

export const lookupApi: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/v1/cves/:cve', {
    schema: {
      operationId: 'getCve',
      summary: 'Every advisory, in every product, that fixes a CVE',
      tags: ['cves'],
      params: Type.Object({ cve: Type.String({ description: 'CVE-YYYY-NNNN' }) }),
      response: { 200: CveBody, 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    const raw = request.params.cve
    if (!isCveId(raw)) throw new FilterError(`cve: ${notACveId(raw)}`)
    const cve = raw.toUpperCase()
    return reply.versionedJson('data', () => {
      const base = app.baseUrl(request)
      const { items } = app.lists.list({ ...emptyFilter, cve }, maxAdvisories, 0)
      if (items.length === 0) throw new NotFoundError('Not found', `no advisory fixes ${cve}`)
      const fixed = app.lists.packagesOf(items.map((a) => a.pk), null)
      return { cve, html_url: base + urls.cve(cve), advisories: items.map((a) => withFixesJson(base, a, fixed.get(a.pk) ?? [])) }
    })
  })

  app.get('/api/v1/packages/:name', {
    schema: {
      operationId: 'getPackage',
      summary: 'Every advisory touching a package (binary or source name), with the fixed EVR per product and arch',
      tags: ['packages'],
      params: Type.Object({ name: Type.String() }),
      response: { 200: PackageAdvisories, 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request, reply) => {
    const { name } = request.params
    return reply.versionedJson('data', () => {
      const base = app.baseUrl(request)
      const { items } = app.lists.list({ ...emptyFilter, package: name }, maxAdvisories, 0)
      if (items.length === 0) throw new NotFoundError('Not found', `no advisory touches a package called "${name}"`)
      const fixed = app.lists.packagesOf(items.map((a) => a.pk), name)
      return { name, html_url: base + urls.package(name), advisories: items.map((a) => withFixesJson(base, a, fixed.get(a.pk) ?? [])) }
    })
  })

  app.get('/api/v1/products', {
    schema: {
      operationId: 'listProducts',
      summary: 'Products and repos, with the last ingest time, status and error',
      tags: ['products'],
      response: { 200: ProductsBody, 400: ErrorBody }
    }
  }, async (_request, reply) => reply.versionedJson('state', () => {
    const repos = app.summary.repos()
    return {
      products: app.summary.products().map((p) => ({
        ...p,
        repos: repos.filter((r) => r.productId === p.id).map((r) => ({
          name: r.name, url: r.url, last_run_at: r.lastRunAt, last_success_at: r.lastSuccessAt, status: r.lastStatus, error: r.lastError
        }))
      }))
    }
  }))
}
