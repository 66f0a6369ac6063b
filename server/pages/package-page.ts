// `/packages/<name>`: every advisory that touches a binary or source package of that name, newest first,
// with the fixed versions per product.
import type { FastifyInstance } from 'fastify'
import { emptyFilter } from '../../db/advisory-query.js'
import { parseListQuery, type RawQuery } from '../advisory-filter.js'
import { NotFoundError } from '../http/errors.js'
import { paginate } from './pagination.js'
import { canonicalOf, type Portal } from '../portal.js'
import { feedLinks } from '../feeds/feed-links.js'
import { urls } from '../format.js'
import { pageOnly } from './cve-page.js'

export function registerPackagePage (app: FastifyInstance, portal: Portal): void {
  app.get<{ Params: { name: string } }>('/packages/:name', async (request, reply) => {
    const name = request.params.name
    const list = parseListQuery(pageOnly(request.query as RawQuery), portal.vocabulary(), { perPage: 100, maxPerPage: 500 })
    return portal.sendPage(request, reply, 'data', () => {
      const filter = { ...emptyFilter, package: name }
      const offset = (list.page - 1) * list.perPage
      const { total, items } = portal.query.list(filter, list.perPage, offset)
      if (total === 0) throw new NotFoundError('Package not found', `No advisory touches a package called "${name}". Search for it instead:`, name)
      return portal.render('package', {
        title: `Package ${name}`,
        description: `Advisories for ${name}`,
        canonical: urls.package(name),
        nav: 'advisories',
        name,
        total,
        items,
        fixed: portal.query.packagesOf(items.map((a) => a.pk), name),
        feeds: feedLinks.package(name),
        pagination: paginate(total, list.page, list.perPage, urls.package(name), list.params)
      })
    }, canonicalOf(request, list.params))
  })
}
