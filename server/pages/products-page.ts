// `/products`: products and their repos, with when each was last ingested and whether that failed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const productsPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/products', { schema: { summary: 'Products and repositories page', tags: ['pages'] } }, async (_request, reply) => reply.page('products', () => {
    const repos = app.summary.repos()
    const products = app.summary.products().map((p) => ({ ...p, repos: repos.filter((r) => r.productId === p.id) }))
    return {
      title: 'Products and repositories',
      nav: 'products',
      products,
      failed: repos.filter((r) => r.lastStatus === 'failed').length
    }
  }, { scope: 'state' }))
}
