// `/robots.txt` and the sitemap: `/sitemap.xml` is always a sitemap index, pointing at `/sitemaps/<n>.xml`
// files of at most 50,000 URLs each (the protocol's limit), so a growing site never changes its shape.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { NotFoundError } from '../http/errors.js'
import { pageUrls, readSiteContents, type SiteContents } from './site-contents.js'

export const urlsPerSitemap = 50_000

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const xmlType = 'application/xml; charset=utf-8'

export const sitemap: FastifyPluginAsyncTypebox = async (app) => {
  // Crawlers read the pages; filtered lists (query strings) are endless variations of them.
  app.get('/robots.txt', { schema: { summary: 'robots.txt', tags: ['pages'] } }, async (request, reply) => reply.versioned({
    scope: 'data',
    contentType: 'text/plain; charset=utf-8',
    maxAge: 3600,
    key: `${app.baseUrl(request)} /robots.txt`,
    render: () => `User-agent: *\nAllow: /static/\nDisallow: /check\nDisallow: /*?\nSitemap: ${app.baseUrl(request)}/sitemap.xml\n`
  }))

  app.get('/sitemap.xml', { schema: { summary: 'The sitemap index', tags: ['pages'] } }, async (request, reply) => {
    const base = app.baseUrl(request)
    return reply.versioned({
      scope: 'data',
      contentType: xmlType,
      maxAge: 3600,
      key: `${base} /sitemap.xml`,
      render: () => {
        const count = Math.max(1, Math.ceil(pageUrls(readSiteContents(app)).length / urlsPerSitemap))
        const entries = Array.from({ length: count }, (_, i) => `<sitemap><loc>${xmlEscape(`${base}/sitemaps/${i + 1}.xml`)}</loc></sitemap>`)
        return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</sitemapindex>\n`
      }
    })
  })

  app.get('/sitemaps/:file', { schema: { summary: 'One sitemap of at most 50,000 URLs', tags: ['pages'], params: Type.Object({ file: Type.String({ pattern: '^[1-9][0-9]{0,5}\\.xml$' }) }) } }, async (request, reply) => {
    const n = Number(request.params.file.slice(0, -'.xml'.length))
    const base = app.baseUrl(request)
    return reply.versioned({ scope: 'data', contentType: xmlType, maxAge: 3600, key: `${base} /sitemaps/${n}.xml`, render: () => sitemapFile(base, readSiteContents(app), n) })
  })
}

function sitemapFile (base: string, contents: SiteContents, n: number): string {
  const urls = pageUrls(contents).slice((n - 1) * urlsPerSitemap, n * urlsPerSitemap)
  if (urls.length === 0) throw new NotFoundError('Sitemap not found', `There is no sitemap ${n}; /sitemap.xml lists them.`)
  const entries = urls.map((url) => {
    const date = contents.advisories.get(url)
    return `<url><loc>${xmlEscape(base + url)}</loc>${date === undefined || date === null ? '' : `<lastmod>${date}</lastmod>`}</url>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</urlset>\n`
}
