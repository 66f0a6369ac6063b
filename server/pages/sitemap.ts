// `/robots.txt` and the sitemap: `/sitemap.xml` is always a sitemap index, pointing at `/sitemaps/<kind>-<n>.xml`
// files of at most 50,000 URLs each (the protocol's limit), so a growing site never changes its shape. One
// kind per file: the lists and site pages, the advisories, the CVEs, the packages; a revised advisory changes
// its date in the advisories' sitemaps only, which are made from one query (the static export rewrites them alone).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { NotFoundError } from '../http/errors.js'
import { pageKinds, pagesOf, readAdvisoryContents, readSiteContents, type PageKind } from './site-contents.js'

export const urlsPerSitemap = 50_000

// One test first: a URL rarely holds any of them, and a sitemap escapes 50,000.
const xmlEscape = (s: string): string => /[&<>"]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : s
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
        const entries = sitemapFiles((kind) => pagesOf(readSiteContents(app), kind).length).map((file) => `<sitemap><loc>${xmlEscape(base + file)}</loc></sitemap>`)
        return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</sitemapindex>\n`
      }
    })
  })

  app.get('/sitemaps/:file', { schema: { summary: 'One sitemap of at most 50,000 URLs of one kind', tags: ['pages'], params: Type.Object({ file: Type.String({ pattern: `^(?:${pageKinds.join('|')})-[1-9][0-9]{0,5}\\.xml$` }) }) } }, async (request, reply) => {
    const [kind, n] = request.params.file.slice(0, -'.xml'.length).split('-') as [PageKind, string]
    const base = app.baseUrl(request)
    return reply.versioned({ scope: 'data', contentType: xmlType, maxAge: 3600, key: `${base} /sitemaps/${request.params.file}`, render: () => sitemapFile(app, base, kind, Number(n)) })
  })
}

/** The sitemaps, for `count` pages of each kind (a kind without pages has none: a sitemap lists one URL at least). */
export function sitemapFiles (count: (kind: PageKind) => number): string[] {
  return pageKinds.flatMap((kind) => Array.from({ length: Math.ceil(count(kind) / urlsPerSitemap) }, (_, i) => `/sitemaps/${kind}-${i + 1}.xml`))
}

function sitemapFile (app: FastifyInstance, base: string, kind: PageKind, n: number): string {
  // The advisories' sitemaps need no CVE or package: one query.
  const contents = kind === 'advisories' ? readAdvisoryContents(app) : readSiteContents(app)
  const urls = pagesOf(contents, kind).slice((n - 1) * urlsPerSitemap, n * urlsPerSitemap)
  if (urls.length === 0) throw new NotFoundError('Sitemap not found', `There is no sitemap ${kind}-${n}; /sitemap.xml lists them.`)
  const entries = urls.map((url) => {
    const date = contents.advisories.get(url)
    return `<url><loc>${xmlEscape(base + url)}</loc>${date === undefined || date === null ? '' : `<lastmod>${date}</lastmod>`}</url>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</urlset>\n`
}
