// `/products`: products and their repos, with when each was last ingested and whether that failed.
import type { FastifyInstance } from 'fastify'
import type { Portal } from '../portal.js'

export function registerProductsPage (app: FastifyInstance, portal: Portal): void {
  app.get('/products', async (request, reply) => {
    return portal.sendPage(request, reply, 'state', () => {
      const repos = portal.summary.repos()
      const products = portal.summary.products().map((p) => ({ ...p, repos: repos.filter((r) => r.productId === p.id) }))
      return portal.render('products', {
        title: 'Products and repositories',
        nav: 'products',
        products,
        failed: repos.filter((r) => r.lastStatus === 'failed').length
      })
    })
  })
}
