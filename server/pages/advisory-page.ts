// One advisory's page at its canonical URL `/<product>/<ID>`, in the order ALAS uses.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { byArch, safeHref, sourcePackages, urls } from '../format.js'
import { NotFoundError } from '../http/errors.js'

export const advisoryPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/:product/:id', {
    schema: { summary: 'An advisory page', tags: ['pages'], params: Type.Object({ product: Type.String(), id: Type.String() }) }
  }, async (request, reply) => {
    const { product, id } = request.params
    return reply.page('advisory', () => {
      const advisory = app.advisories.get(product, id)
      if (advisory === null) {
        const elsewhere = app.advisories.productsOf(id)
        const hint = elsewhere.length > 0 ? ` It exists in ${elsewhere.join(', ')}.` : ''
        throw new NotFoundError('Advisory not found', `${product} has no advisory "${id}".${hint} Search for it instead:`, id)
      }
      const cveRefs = new Set(advisory.cves)
      const otherReferences = advisory.references
        .filter((r) => !(r.type === 'cve' && r.id !== null && cveRefs.has(r.id.toUpperCase())))
        .map((r) => ({ ...r, safeHref: safeHref(r.href) }))
      return {
        title: `${advisory.id}: ${advisory.title ?? advisory.product_name}`,
        description: `${advisory.product_name} advisory ${advisory.id}${advisory.severity === null ? '' : ` (${advisory.severity})`}`,
        canonical: urls.advisory(advisory.product, advisory.id),
        nav: 'advisories',
        advisory,
        sources: sourcePackages(advisory.packages),
        arches: byArch(advisory.packages),
        otherReferences
      }
    })
  })
}
