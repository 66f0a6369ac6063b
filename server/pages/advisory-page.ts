// One advisory's page at its canonical URL `/<product>/<ID>`, in the order ALAS uses.
import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../http/errors.js'
import { byArch, safeHref, sourcePackages, urls } from '../format.js'
import type { Portal } from '../portal.js'

export function registerAdvisoryPage (app: FastifyInstance, portal: Portal): void {
  app.get<{ Params: { product: string, id: string } }>('/:product/:id', async (request, reply) => {
    const { product, id } = request.params
    return portal.sendPage(request, reply, 'data', () => {
      const advisory = portal.reader.get(product, id)
      if (advisory === null) {
        const elsewhere = portal.reader.productsOf(id)
        const hint = elsewhere.length > 0 ? ` It exists in ${elsewhere.join(', ')}.` : ''
        throw new NotFoundError('Advisory not found', `${product} has no advisory "${id}".${hint} Search for it instead:`, id)
      }
      const cveRefs = new Set(advisory.cves)
      const otherReferences = advisory.references
        .filter((r) => !(r.type === 'cve' && r.id !== null && cveRefs.has(r.id.toUpperCase())))
        .map((r) => ({ ...r, safeHref: safeHref(r.href) }))
      return portal.render('advisory', {
        title: `${advisory.id}: ${advisory.title ?? advisory.productName}`,
        description: `${advisory.productName} advisory ${advisory.id}${advisory.severity === null ? '' : ` (${advisory.severity})`}`,
        canonical: urls.advisory(advisory.product, advisory.id),
        nav: 'advisories',
        advisory,
        sources: sourcePackages(advisory.packages),
        arches: byArch(advisory.packages),
        otherReferences
      })
    })
  })
}
