// `/products`: products and their repos, with when each was last ingested and whether that failed, and what
// each product's configuration says: its package manager, source repo and signing key (a key that could not
// be read counts as a failure, as a repo does).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { shellQuote } from '../../domain/shell-quote.js'

export const productsPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/products', { schema: { summary: 'Products and repositories page', tags: ['pages'] } }, async (_request, reply) => reply.page('products', () => {
    const repos = app.summary.repos()
    const products = app.summary.products().map((p) => ({
      ...p,
      repos: repos.filter((r) => r.productId === p.id),
      importCommand: p.signing_key === null ? null : `rpm --import ${shellQuote(p.signing_key.import_url ?? p.signing_key.file_name)}`
    }))
    const failedRepos = repos.filter((r) => r.lastStatus === 'failed').length
    const failedKeys = products.filter((p) => p.signing_key?.status === 'failed').length
    return {
      title: 'Products and repositories',
      nav: 'products',
      products,
      failed: failedRepos + failedKeys,
      failedRepos,
      failedKeys
    }
  }, { scope: 'state' }))
}
