// The static site end to end: the demo exported (npm run export with --public-url and --dynamic-url) and served
// by a real nginx (Debian's nginx-light) with the shipped deploy/nginx/llsc-static.conf, crawled from / through
// every link of every page, feed, sitemap and API document. No broken link, no same-site query string, every
// advisory, CVE and package reached, the dynamic host linked exactly; every file the bytes the live server
// answers with the same settings; feeds read by a feed parser, JSON documents valid against the API's schemas;
// nginx's types, precompressed files, 404 page, dotfiles and cache lifetimes. Then the site's commented
// live-server example, switched on; and the pages of a static copy without a dynamic host.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import Parser from 'rss-parser'
import t, { type Test } from 'tap'
import { runExport } from '../export/run.js'
import { OsvRecord } from '../server/api/osv-schema.js'
import { AdvisoryBody, AdvisoryPage, CveBody, PackageAdvisories, ProductsBody, StatsBody } from '../server/api/schemas.js'
import { readRows } from './helpers/db.js'
import { closedValidator } from './helpers/schema.js'
import { ask, freePort, nginxBinary, nginxPrefix, runNginx, type Answer } from './helpers/nginx.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'
import { wellFormed } from './helpers/xml.js'

t.setTimeout(300_000)
if (!existsSync(nginxBinary)) throw new Error(`${nginxBinary} is missing: apt-get install nginx-light (.ci/run installs it)`)

const siteFile = join(projectDir, 'deploy', 'nginx', 'llsc-static.conf')
const publicUrl = 'https://security.example.org'
// The origin the shipped site's Content-Security-Policy names for form-action: the test exports with it.
const dynamicUrl = 'https://live.security.example.org'
const enc = encodeURIComponent

// CommonJS under NodeNext: the default import is module.exports, whose .default is the class itself.

// ---------------------------------------------------------------------------------------------------------
// nginx with the site file, as Debian's nginx.conf includes a site, every path under a temporary prefix.

interface Site { url: (path: string) => string, errorLog: () => string }

/** The site file with each edit applied exactly once (a site file that drifted from them fails here, loudly). */
function edited (text: string, edits: Array<[RegExp, string]>): string {
  return edits.reduce((site, [pattern, replacement]) => {
    const found = site.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'))?.length ?? 0
    if (found !== 1) throw new Error(`site file: expected one match of ${String(pattern)}, found ${found}`)
    return site.replace(pattern, replacement)
  }, text)
}

async function startSite (t: Test, site: string): Promise<Site> {
  const dir = tempDir(t, 'llsc-nginx-static-')
  const port = await freePort()
  const nginx = await runNginx(nginxPrefix(dir, edited(site, [[/^(\s*listen )80;/m, `$1127.0.0.1:${port};`], [/^\s*listen \[::\]:80;\n/m, '']])), port)
  t.teardown(nginx.stop)
  t.notMatch(nginx.checked, /\[warn\]/, 'nginx -t: no warning')
  return { url: (path) => `http://127.0.0.1:${port}${path}`, errorLog: nginx.errorLog }
}

/** The shipped site serving `root`. */
const siteFor = (root: string): string => edited(readFileSync(siteFile, 'utf8'), [[/^(\s*root )\/var\/www\/llsc;/m, `$1${root};`]])

// ---------------------------------------------------------------------------------------------------------
// The export's files and their URLs, read from the directory itself (not from the exporter's own lists).

/** Every document file of the export (no dotfile, no .gz/.br), relative, with `/`. */
function documentFiles (dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String)
    .filter((f) => !f.split('/').some((s) => s.startsWith('.')) && !/\.(gz|br)$/.test(f) && statSync(join(dir, f)).isFile()).sort()
}

/** The URL a file answers (docs/static-export.md, "Files on disk"); null for 404.html. */
function urlOf (file: string): string | null {
  if (file === '404.html') return null
  const dir = file.replace(/(^|\/)index\.(html|json)$/, '')
  if (dir !== file) return `/${dir.split('/').filter((s) => s !== '').map(enc).join('/')}`
  return `/${file.split('/').map(enc).join('/')}`
}

/** One spelling of a same-site path, whatever percent-encoding a link used. */
const normal = (path: string): string => path.split('/').map((s) => enc(decodeURIComponent(s))).join('/')

// ---------------------------------------------------------------------------------------------------------
// Links in each kind of document.

const entities: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': '\'', '&lt;': '<', '&gt;': '>' }
const unescape = (s: string): string => s.replace(/&(?:amp|quot|#39|lt|gt);/g, (e) => entities[e]!)

/** href, src and action attributes of a page, as written. */
const htmlLinks = (html: string): string[] => [...html.matchAll(/\s(?:href|src|action)="([^"]*)"/g)].map((m) => unescape(m[1]!))

/** Absolute URLs on a host in any text (feeds, sitemaps, robots.txt, JSON, escaped HTML inside feeds). */
const absoluteLinks = (text: string, origin: string): string[] =>
  [...unescape(unescape(text)).matchAll(new RegExp(`${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[^\\s"'<>\\\\]*`, 'g'))].map((m) => m[0])

/** Path-only links in an API document (next and prev of a numbered page). */
function jsonPaths (value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string' && /^\/api\//.test(value)) found.push(value)
  else if (Array.isArray(value)) for (const v of value) jsonPaths(v, found)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) jsonPaths(v, found)
  return found
}

// ---------------------------------------------------------------------------------------------------------
// What the documents must be.

const schemaOf: Array<[RegExp, string, (value: unknown) => string | null]> = [
  [/^\/api\/v1\/products$/, 'ProductsBody', closedValidator(ProductsBody)],
  [/^\/api\/v1\/products\/[^/]+\/advisories\/page\/\d+\.json$/, 'AdvisoryPage', closedValidator(AdvisoryPage)],
  [/^\/api\/v1\/products\/[^/]+\/advisories\/[^/]+\.osv\.json$/, 'OsvRecord', closedValidator(OsvRecord)],
  [/^\/api\/v1\/products\/[^/]+\/advisories\/[^/]+\.json$/, 'AdvisoryBody', closedValidator(AdvisoryBody)],
  [/^\/api\/v1\/cves\/[^/]+$/, 'CveBody', closedValidator(CveBody)],
  [/^\/api\/v1\/packages\/[^/]+$/, 'PackageAdvisories', closedValidator(PackageAdvisories)],
  [/^\/api\/v1\/stats$/, 'StatsBody', closedValidator(StatsBody)]
]

/** JSON Feed 1.1's required fields, and the links the portal always sets. */
function jsonFeedProblems (feed: Record<string, unknown>): string[] {
  const problems: string[] = []
  if (feed.version !== 'https://jsonfeed.org/version/1.1') problems.push(`version ${String(feed.version)}`)
  if (typeof feed.title !== 'string') problems.push('no title')
  if (typeof feed.feed_url !== 'string' || !feed.feed_url.startsWith(`${publicUrl}/feeds/`)) problems.push(`feed_url ${String(feed.feed_url)}`)
  if (!Array.isArray(feed.items)) return [...problems, 'no items']
  for (const item of feed.items as Array<Record<string, unknown>>) {
    if (typeof item.id !== 'string' || typeof item.url !== 'string' || (typeof item.content_html !== 'string' && typeof item.content_text !== 'string')) problems.push(`item ${JSON.stringify(item).slice(0, 80)}`)
  }
  return problems
}

const types: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  csv: 'text/csv; charset=utf-8'
}

/** The type the live server sends, by the exported file's extension (.json under /feeds/ is JSON Feed). */
const expectedType = (file: string): string =>
  file.startsWith('feeds/') && file.endsWith('.json') ? 'application/feed+json; charset=utf-8' : types[/\.(\w+)$/.exec(file)![1]!] ?? '(unknown)'

// ---------------------------------------------------------------------------------------------------------
// The bucket recipe of deploy/README.md, run with a stand-in rclone that records each command; rclone's own
// filter engine (`rclone lsf` with the same filters) then says which files each command would upload.

const rcloneBinary = '/usr/bin/rclone'

interface Upload { key: string, file: string, type: string, cache: string }

function runBucketRecipe (t: Test, out: string): Upload[] {
  const readme = readFileSync(join(projectDir, 'deploy', 'README.md'), 'utf8')
  const script = /<!-- publish-bucket -->\n```bash\n([\s\S]*?)```/.exec(readme)?.[1]
  if (script === undefined) throw new Error('deploy/README.md has no publish-bucket script')
  const dir = tempDir(t, 'llsc-bucket-')
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  const log = join(dir, 'rclone.log')
  writeFileSync(join(bin, 'rclone'), `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n')\n`, { mode: 0o755 })
  writeFileSync(join(dir, 'publish.sh'), script)
  const run = spawnSync('bash', [join(dir, 'publish.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, OUT: out, REMOTE: 'bucket:site', STAGE: join(dir, 'stage') } })
  if (run.status !== 0) throw new Error(`the script failed (${run.status}): ${run.stderr}`)
  const uploads: Upload[] = []
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const args = JSON.parse(line) as string[]
    const [command, src, dst] = args as [string, string, string]
    const headers = Object.fromEntries(args.flatMap((a, i) => args[i - 1] === '--header-upload' ? [a.split(': ')] : []) as Array<[string, string]>)
    const prefix = dst === 'bucket:site' ? '' : `${dst.slice('bucket:site/'.length)}/`
    const filters = args.flatMap((a, i) => a === '--filter' ? ['--filter', args[i + 1]!] : [])
    const listed = command === 'copyto'
      ? [{ path: '', file: src }]
      : spawnSync(rcloneBinary, ['lsf', '-R', '--files-only', src, ...filters], { encoding: 'utf8' }).stdout.trim().split('\n').filter((p) => p !== '').map((p) => ({ path: p, file: join(src, p) }))
    for (const { path, file } of listed) {
      const key = command === 'copyto' ? dst.slice('bucket:site/'.length) : prefix + path
      const rel = file.startsWith(`${out}/`) ? file.slice(out.length + 1) : `(staged) ${file}`
      uploads.push({ key, file: rel, type: headers['Content-Type'] ?? '(none)', cache: headers['Cache-Control'] ?? '(none)' })
    }
  }
  // The staged CVE and package documents are hard links to the export's files: name each by the file it is.
  for (const u of uploads) {
    const staged = /^\(staged\) (.*\/(cves|packages)\/([^/]+))$/.exec(u.file)
    const original = staged === null ? null : `api/v1/${staged[2]!}/${staged[3]!}/index.json`
    if (original !== null && statSync(staged![1]!).ino === statSync(join(out, original)).ino) u.file = original
  }
  return uploads
}

// ---------------------------------------------------------------------------------------------------------
// The crawl: from / and /robots.txt, every same-site link once, through nginx.

interface Crawl {
  /** Same-site path -> nginx's answer (identity encoding). */
  pages: Map<string, Answer>
  /** Where each same-site path was first seen. */
  from: Map<string, string>
  queryLinks: Array<{ on: string, link: string }>
  dynamicLinks: Array<{ on: string, link: string }>
  relativeLinks: Array<{ on: string, link: string }>
}

async function crawl (site: Site): Promise<Crawl> {
  const result: Crawl = { pages: new Map(), from: new Map(), queryLinks: [], dynamicLinks: [], relativeLinks: [] }
  // Browsers and feed readers ask for /favicon.ico whatever the pages link.
  const queue = ['/', '/robots.txt', '/favicon.ico']
  for (const start of queue) result.from.set(start, '(start)')
  const see = (on: string, link: string): void => {
    if (link.startsWith(dynamicUrl) || link.includes(new URL(dynamicUrl).host)) { result.dynamicLinks.push({ on, link }); return }
    let path: string
    if (link.startsWith(`${publicUrl}/`)) path = link.slice(publicUrl.length)
    else if (link.startsWith('/') && !link.startsWith('//')) path = link
    else if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) return // another site, mailto:, data:
    else if (link.startsWith('#')) return
    else { result.relativeLinks.push({ on, link }); return }
    path = path.split('#')[0]!
    if (path.includes('?')) { result.queryLinks.push({ on, link }); return }
    const key = normal(path)
    if (!result.from.has(key)) { result.from.set(key, on); queue.push(key) }
  }
  while (queue.length > 0) {
    const path = queue.shift()!
    const answer = await ask(site.url(path))
    result.pages.set(path, answer)
    if (answer.status !== 200) continue
    const type = String(answer.headers['content-type'])
    const links = type.startsWith('text/html')
      ? htmlLinks(answer.text)
      : [...absoluteLinks(answer.text, publicUrl), ...absoluteLinks(answer.text, dynamicUrl), ...(path.startsWith('/api/') && type.startsWith('application/json') ? jsonPaths(JSON.parse(answer.text)) : [])]
    for (const link of links) see(path, link)
  }
  return result
}

// ---------------------------------------------------------------------------------------------------------
// The data, the export, the live server and nginx, once for the tests inside. (Set up inside a test: the root
// test ends when the event loop idles, and its teardown would remove the directories.)

t.test('the demo, exported and served by nginx', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos())
  const out = tempDir(t, 'llsc-export-')
  const summary = await runExport({ outDir: out, dbPath, publicUrl, dynamicUrl, cveFeeds: false, verify: false, force: false })
  // Files a killed export would leave, and an operator's own, to see what the site does with them.
  writeFileSync(join(out, '.llsc-export.running'), `pid ${process.pid}\n`)
  writeFileSync(join(out, '.llsc-tmp.0123456789abcdef'), 'half a page')
  writeFileSync(join(out, 'amzn2', '.llsc-tmp.fedcba9876543210'), 'half a page')
  mkdirSync(join(out, '.well-known'))
  writeFileSync(join(out, '.well-known', 'security.txt'), 'Contact: mailto:security@example.org\n')

  const live = await testApp(t, { dbPath, publicUrl, dynamicUrl })
  await live.listen({ host: '127.0.0.1', port: 0 })
  const livePort = (live.server.address() as AddressInfo).port
  const fromLive = async (path: string): Promise<Answer> => await ask(`http://127.0.0.1:${livePort}${path}`)
  const nginx = await startSite(t, siteFor(out))

  const files = documentFiles(out)
  const exported = new Map(files.flatMap((f) => { const url = urlOf(f); return url === null ? [] : [[normal(url), f] as const] }))

  const advisoryPages = readRows<{ product_id: string, id: string }>(dbPath, 'SELECT product_id, id FROM advisory').map((a) => `/${enc(a.product_id)}/${enc(a.id)}`)
  const cves = readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve').map((r) => r.cve)
  const packageNames = readRows<{ name: string }>(dbPath, 'SELECT name FROM advisory_package UNION SELECT src_name FROM advisory_package WHERE src_name IS NOT NULL').map((r) => r.name)
  const products = readRows<{ id: string }>(dbPath, 'SELECT id FROM product').map((r) => r.id)

  await t.test('the export: every document once, nothing left out', async (t) => {
    t.equal(summary.skipped.length, 0, 'nothing skipped')
    t.ok(files.includes('404.html'))
    t.equal(exported.size, files.length - 1, `${exported.size} URLs, one file each`)
    t.ok(advisoryPages.length >= 29 && cves.length >= 30 && packageNames.length >= 100, `${advisoryPages.length} advisories, ${cves.length} CVEs, ${packageNames.length} packages`)
  })

  const crawled = await crawl(nginx)

  await t.test('the crawl from /: every link answers, none needs a server', async (t) => {
    const broken = [...crawled.pages].filter(([, a]) => a.status !== 200).map(([path, a]) => `${path} (${a.status}, linked from ${crawled.from.get(path)})`)
    t.same(broken, [], `every one of the ${crawled.pages.size} same-site links answers 200 through nginx`)
    t.same(crawled.relativeLinks, [], 'every same-site link is from the root (the site can be served at any depth of a link)')
    t.same(crawled.queryLinks, [], 'no page, feed, sitemap or API document links a same-site URL with a query string')

    const reached = new Set(crawled.pages.keys())
    for (const [kind, paths] of [['advisory', advisoryPages], ['CVE', cves.map((c) => `/cve/${enc(c)}`)], ['package', packageNames.map((n) => `/packages/${enc(n)}`)]] as const) {
      t.same(paths.map(normal).filter((p) => !reached.has(p)), [], `every ${kind} page is reached (${paths.length})`)
    }
    // The API's documents link pages (html_url) and their own further pages, but no page links them: an API client
    // starts from the documented paths (/docs/api, /openapi.json). Every one answers through nginx (below).
    const unreached = [...exported.keys()].filter((url) => !reached.has(url))
    const api = (url: string): boolean => url.startsWith('/api/')
    t.same(unreached.filter((url) => !api(url)), [], `every exported page, feed, sitemap and file under /static/ is reached from / by links (API documents: ${[...reached].filter(api).length} of ${[...exported.keys()].filter(api).length})`)
    const outside = [...reached].filter((url) => !exported.has(url))
    t.same(outside, [], 'and the crawl found nothing the export did not write')
  })

  await t.test('links to the dynamic host point exactly at it, at what only a server answers', async (t) => {
    const links = new Set(crawled.dynamicLinks.map((l) => l.link))
    t.ok(links.size > 0)
    t.same([...links].filter((l) => !l.startsWith(`${dynamicUrl}/`) || l.startsWith(`${dynamicUrl}//`)), [], `every one starts with ${dynamicUrl}/`)
    const paths = new Set([...links].map((l) => l.slice(dynamicUrl.length)))
    const severities = files.flatMap((f) => /^feeds\/severity\/([^/]+)\.rss$/.exec(f)?.[1] ?? [])
    t.ok(severities.length >= 3, `severity feeds: ${severities.join(', ')}`)
    const expected = new Set(['/', '/check', ...products.map((p) => `/${enc(p)}`), '/feeds/advisories.rss?severity=critical,important',
      ...cves.flatMap((c) => ['rss', 'atom', 'json'].map((ext) => `/feeds/cve/${enc(c)}.${ext}`)), ...severities.map((s) => `/?severity=${s}`),
      // /stats: its range form, and the twelve months before the exported range
      '/stats', ...[...paths].filter((p) => /^\/stats\?from=\d{4}-\d{2}&to=\d{4}-\d{2}$/.test(p))])
    t.equal([...paths].filter((p) => p.startsWith('/stats?')).length, 1, 'one other range of /stats')
    t.same([...paths].sort(), [...expected].sort(), 'search and filters (/, each product), "Check a server", a filtered feed, the per-CVE feeds (not exported without --cve-feeds), the lists the severity feeds stand for, other ranges of /stats')
    const live = await testApp(t, { dbPath, publicUrl })
    for (const path of paths) t.equal((await live.inject({ url: path })).statusCode, 200, `the live server answers ${path}`)
    const forms = [...crawled.pages].flatMap(([page, a]) => [...a.text.matchAll(/<form [^>]*>/g)].map((m) => ({ page, form: m[0] })))
    t.ok(forms.length > 30, `${forms.length} forms`)
    t.same(forms.filter((f) => !f.form.includes(`action="${dynamicUrl}/`) || !f.form.includes('method="get"')), [], 'every form is a GET to the dynamic host')
    const csp = String((await ask(nginx.url('/'))).headers['content-security-policy'])
    t.match(csp, `form-action 'self' ${dynamicUrl};`, 'and the site\'s Content-Security-Policy lets them submit there')
  })

  await t.test('every exported file: the live server\'s bytes and type, through nginx', async (t) => {
    const differ: string[] = []
    const wrongTypes: string[] = []
    for (const [url, file] of exported) {
      const [site, server] = [await ask(nginx.url(url)), await fromLive(url)]
      if (site.status !== 200 || server.status !== 200 || !site.body.equals(server.body) || !site.body.equals(readFileSync(join(out, file)))) differ.push(`${url}: nginx ${site.status}, live ${server.status}`)
      if (site.headers['content-type'] !== server.headers['content-type'] || site.headers['content-type'] !== expectedType(file)) {
        wrongTypes.push(`${url}: nginx ${String(site.headers['content-type'])}, live ${String(server.headers['content-type'])}, expected ${expectedType(file)}`)
      }
    }
    t.same(differ, [], `${exported.size} URLs: the same bytes from nginx, the live server (PUBLIC_URL and DYNAMIC_URL as the export's) and the file`)
    t.same(wrongTypes, [], 'and the same content type, the one for the extension')
    t.same([...new Set([...exported.values()].map(expectedType))].sort(), [...Object.values(types), 'application/feed+json; charset=utf-8'].sort(), 'every kind of file was compared')
  })

  await t.test('feeds read by a feed parser, XML well-formed, JSON valid against the API\'s schemas', async (t) => {
    const parser = new Parser()
    const problems: string[] = []
    const counts = new Map<string, number>()
    const count = (kind: string): void => { counts.set(kind, (counts.get(kind) ?? 0) + 1) }
    for (const [url, file] of exported) {
      const text = readFileSync(join(out, file), 'utf8')
      try {
        if (/\.(rss|atom|xml)$/.test(url)) {
          const error = wellFormed(text)
          if (error !== null) problems.push(`${url}: ${error}`)
        }
        if (/^\/feeds\/.+\.(rss|atom)$/.test(url)) {
          const feed = await parser.parseString(text)
          if (typeof feed.title !== 'string' || feed.items.some((i) => i.link?.startsWith(`${publicUrl}/`) !== true || typeof i.title !== 'string')) problems.push(`${url}: a feed without a title or an item without a link on ${publicUrl}`)
          count(url.endsWith('.rss') ? 'RSS' : 'Atom')
        } else if (/^\/feeds\/.+\.json$/.test(url)) {
          problems.push(...jsonFeedProblems(JSON.parse(text)).map((p) => `${url}: ${p}`))
          count('JSON Feed')
        } else if (url === '/openapi.json') {
          const doc = JSON.parse(text) as { openapi: string, paths: Record<string, unknown> }
          if (doc.openapi !== '3.1.0' || Object.keys(doc.paths).length < 10) problems.push(`${url}: not the OpenAPI description`)
        } else if (url.endsWith('.csv')) {
          // The CSV is the JSON's table: a header, then a row per product and month, every row as wide.
          const rows = text.trimEnd().split('\n').map((r) => r.split(','))
          if (rows.length < 2 || rows.some((r) => r.length !== rows[0]!.length) || !text.endsWith('\n')) problems.push(`${url}: not a table`)
          count('CSV')
        } else if (url.endsWith('.ndjson')) {
          const check = closedValidator(OsvRecord)
          const lines = text.split('\n')
          if (lines.pop() !== '') problems.push(`${url}: no final newline`)
          for (const line of lines) { const error = check(JSON.parse(line)); if (error !== null) problems.push(`${url}: ${error}`) }
          count('OSV bundle')
        } else if (url.startsWith('/api/')) {
          const schema = schemaOf.find(([pattern]) => pattern.test(url))
          if (schema === undefined) { problems.push(`${url}: which schema?`); continue }
          const error = schema[2](JSON.parse(text))
          if (error !== null) problems.push(`${url}: ${schema[1]}: ${error}`)
          count(schema[1])
        }
      } catch (err) {
        problems.push(`${url}: ${(err as Error).message}`)
      }
    }
    t.same(problems, [], 'every feed parses, every XML document is well-formed, every API document matches its schema')
    t.equal(counts.get('AdvisoryBody'), advisoryPages.length, 'every advisory\'s JSON')
    t.equal(counts.get('OsvRecord'), advisoryPages.length, 'and OSV record')
    t.equal(counts.get('CveBody'), cves.length)
    t.equal(counts.get('PackageAdvisories'), packageNames.length)
    t.equal(counts.get('OSV bundle'), products.length)
    t.ok(counts.get('RSS')! > 100 && counts.get('RSS') === counts.get('Atom') && counts.get('RSS') === counts.get('JSON Feed'), `${counts.get('RSS')} feeds in each format`)
  })

  await t.test('precompressed files: gzip for who asks, the very .gz bytes; identity otherwise', async (t) => {
    const gz = files.filter((f) => existsSync(join(out, `${f}.gz`)))
    t.ok(gz.length > 100, `${gz.length} files have a .gz`)
    const wrong: string[] = []
    for (const file of gz) {
      const url = file === '404.html' ? '/404.html/missing' : urlOf(file)!
      const zipped = await ask(nginx.url(url), { headers: { 'accept-encoding': 'gzip, deflate, br' } })
      if (zipped.headers['content-encoding'] !== 'gzip' || !zipped.body.equals(readFileSync(join(out, `${file}.gz`))) || !gunzipSync(zipped.body).equals(readFileSync(join(out, file)))) wrong.push(file)
      if (!/accept-encoding/i.test(String(zipped.headers.vary))) wrong.push(`${file}: no Vary`)
    }
    t.same(wrong, [], 'Accept-Encoding: gzip gets the .gz file as it is, with Vary: Accept-Encoding')
    const page = advisoryPages[0]!
    const file = exported.get(normal(page))!
    for (const acceptEncoding of ['', 'identity', 'br', 'gzip;q=0']) {
      const res = await ask(nginx.url(page), { headers: acceptEncoding === '' ? {} : { 'accept-encoding': acceptEncoding } })
      t.equal(res.headers['content-encoding'], undefined, `Accept-Encoding "${acceptEncoding}": identity (nginx-light sends no brotli)`)
      t.ok(res.body.equals(readFileSync(join(out, file))))
    }
    const small = files.find((f) => !existsSync(join(out, `${f}.gz`)) && f.endsWith('.json'))!
    const res = await ask(nginx.url(urlOf(small)!), { headers: { 'accept-encoding': 'gzip' } })
    t.equal(res.headers['content-encoding'], undefined, `${small}, under 1 KB, has no .gz: sent as it is (nothing is compressed on the fly)`)
  })

  await t.test('a missing path is the 404 page; the export\'s dotfiles are refused', async (t) => {
    const notFound = readFileSync(join(out, '404.html'))
    t.notMatch(notFound.toString(), /404\/not\/found/, '404.html names no path')
    t.match(notFound.toString(), 'Nothing lives at this address')
    for (const path of ['/no/such/page', '/amzn2/NOPE-1', '/api/v1/advisories', '/feeds/nope.rss', '/404.html', '/static/nope.css', '/.llsc-export.db', '/.llsc-export.json', '/.llsc-export.running',
      '/.llsc-tmp.0123456789abcdef', '/amzn2/.llsc-tmp.fedcba9876543210', '/.git/config', '/amzn2/..%2f.llsc-export.json']) {
      const res = await ask(nginx.url(path))
      t.equal(res.status, 404, `${path}: 404`)
      t.ok(res.body.equals(notFound), `${path}: the 404 page`)
      t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
      t.equal(res.headers['cache-control'], 'no-store', `${path}: never kept`)
    }
    const missing = await fromLive('/no/such/page')
    t.equal(missing.status, 404)
    t.ok(missing.body.equals(notFound), 'the live server with DYNAMIC_URL answers any missing page with 404.html\'s bytes')
    const operator = await ask(nginx.url('/.well-known/security.txt'))
    t.equal(operator.status, 200, '/.well-known/ is served (an operator\'s security.txt)')
    t.equal(operator.text, 'Contact: mailto:security@example.org\n')
    t.equal((await ask(nginx.url('/'), { method: 'POST', body: 'x' })).status, 405, 'nothing but GET and HEAD')
    t.notMatch(nginx.errorLog(), /\[(crit|alert|emerg)\]/, 'nothing grave in nginx\'s error log')
  })

  await t.test('Cache-Control per kind of document', async (t) => {
    const details = new Set([...advisoryPages, ...cves.flatMap((c) => [`/cve/${enc(c)}`, `/api/v1/cves/${enc(c)}`]), ...packageNames.flatMap((n) => [`/packages/${enc(n)}`, `/api/v1/packages/${enc(n)}`]),
      ...readRows<{ product_id: string, id: string }>(dbPath, 'SELECT product_id, id FROM advisory').flatMap((a) => ['.json', '.osv.json'].map((ext) => `/api/v1/products/${enc(a.product_id)}/advisories/${enc(a.id)}${ext}`))].map(normal))
    const kind = (url: string): string => {
      if (url.startsWith('/static/') || url === '/favicon.ico') return 'public, max-age=86400'
      if (details.has(url)) return 'public, max-age=600'
      if (url === '/robots.txt' || url === '/sitemap.xml' || url.startsWith('/sitemaps/')) return 'public, max-age=3600'
      return 'public, max-age=300'
    }
    const wrong: string[] = []
    const seen = new Map<string, number>()
    for (const url of exported.keys()) {
      const got = String((await ask(nginx.url(url))).headers['cache-control'])
      seen.set(got, (seen.get(got) ?? 0) + 1)
      if (got !== kind(url)) wrong.push(`${url}: ${got}, not ${kind(url)}`)
    }
    t.same(wrong, [], `every document: ${JSON.stringify(Object.fromEntries(seen))}`)
    for (const [url, want] of [['/static/style.css', 86400], [advisoryPages[0]!, 600], ['/api/v1/products/amzn2/advisories/ALAS2-2018-939.osv.json', 600], ['/', 300], ['/amzn2', 300],
      ['/feeds/amzn2.rss', 300], ['/api/v1/products', 300], ['/api/v1/products/amzn2/advisories/page/1.json', 300], ['/api/v1/osv/amzn2/all.ndjson', 300], ['/sitemap.xml', 3600]] as const) {
      t.equal((await ask(nginx.url(url))).headers['cache-control'], `public, max-age=${want}`, `${url}: ${want} s`)
    }
    const page = await ask(nginx.url('/'))
    for (const header of ['etag', 'last-modified']) t.type(page.headers[header], 'string', `${header}: revalidation costs a 304`)
    t.equal((await ask(nginx.url('/'), { headers: { 'if-none-match': String(page.headers.etag) } })).status, 304)
    t.equal(page.headers['x-content-type-options'], 'nosniff', 'the live server\'s security headers')
    t.equal(page.headers['access-control-allow-origin'], '*')
  })

  await t.test('the live-server example in the site file, switched on: queries, /check and the query API reach the server', async (t) => {
    const site = siteFor(out)
    const begin = site.indexOf('    # --- live-server example\n')
    const end = site.indexOf('    # --- end of the live-server example\n')
    t.ok(begin > 0 && end > begin, 'the example is marked')
    const example = site.slice(begin, end).split('\n').slice(1).map((line) => line.replace(/^(\s*)# /, '$1')).join('\n')
    const switchedOn = site.slice(0, begin) + example.replaceAll('127.0.0.1:3000', `127.0.0.1:${livePort}`) + site.slice(end)
    t.equal(example.split('127.0.0.1:3000').length - 1, 3, 'three proxy_pass lines point at the server')
    const both = await startSite(t, switchedOn)

    const search = await ask(both.url('/?q=kernel'))
    t.equal(search.status, 200, 'a search (a query string) is answered by the server')
    t.match(search.text, '<title>Search: kernel')
    const direct = await fromLive('/?q=kernel')
    for (const header of ['cache-control', 'content-security-policy', 'x-content-type-options']) {
      t.equal(search.headers[header], direct.headers[header], `${header}: the server's alone, not the site's too`)
    }
    t.equal(search.headers['x-llsc-live'], undefined, 'the empty add_header adds nothing')
    t.equal((await ask(both.url('/amzn2?severity=critical'))).status, 200, 'a filtered list too')
    const check = await ask(both.url('/check'))
    t.equal(check.status, 200)
    t.match(check.text, 'rpm -qa')
    const query = await ask(both.url('/api/v1/query?product=amzn2'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'kernel-4.14.1-1.amzn2.x86_64\n' })
    t.equal(query.status, 200, 'POST /api/v1/query')
    t.equal(JSON.parse(query.text).checked, 1)
    const home = await ask(both.url('/'))
    t.ok(home.body.equals(readFileSync(join(out, 'index.html'))), 'a path without a query is still the exported file')
    t.equal(home.headers['cache-control'], 'public, max-age=300')
    t.equal((await ask(both.url('/no/such/page'))).status, 404)
  })

  await t.test('the bucket recipe in deploy/README.md: every document once, at its key, with its type', { skip: existsSync(rcloneBinary) ? false : `${rcloneBinary} is missing (apt-get install rclone)` }, async (t) => {
    const uploads = runBucketRecipe(t, out)
    const expectedKey = (file: string): string => file.replace(/^(api\/v1\/(?:products|stats|cves\/[^/]+|packages\/[^/]+))\/index\.json$/, '$1')
    const expectedCache = (file: string): string => file.startsWith('static/') || file === 'favicon.ico' ? 'public, max-age=86400' : file === '404.html' ? 'no-store' : 'public, max-age=300'
    const twice = uploads.filter((u, i) => uploads.findIndex((v) => v.key === u.key) !== i).map((u) => u.key)
    t.same(twice, [], 'no key is uploaded by two passes')
    const byKey = new Map(uploads.map((u) => [u.key, u]))
    const wrong = files.flatMap((file) => {
      const upload = byKey.get(expectedKey(file))
      if (upload === undefined) return [`${file}: not uploaded (as ${expectedKey(file)})`]
      const want = { file, type: expectedType(file), cache: expectedCache(file) }
      return upload.file === want.file && upload.type === want.type && upload.cache === want.cache ? [] : [`${expectedKey(file)}: ${JSON.stringify(upload)}, not ${JSON.stringify(want)}`]
    })
    t.same(wrong, [], `every one of the ${files.length} documents is uploaded once, with the live server's type (${uploads.length} uploads)`)
    const expectedKeys = new Set(files.map(expectedKey))
    t.same(uploads.filter((u) => !expectedKeys.has(u.key)).map((u) => u.key), ['.well-known/security.txt'], 'and nothing else but an operator\'s file: no dotfile, no .gz or .br')
    t.ok(byKey.has('api/v1/products') && byKey.has(`api/v1/cves/${cves[0]!}`) && !byKey.has('api/v1/products/index.json'), 'the extension-less API documents at their bare keys')
  })

  await t.test('static pages without a dynamic host leave out what needs one; with --cve-feeds the CVE pages link their feeds', async (t) => {
    const app = await testApp(t, { dbPath, publicUrl, dynamicUrl: null })
    const withCveFeeds = await testApp(t, { dbPath, publicUrl, dynamicUrl, cveFeeds: true })
    const livePages = await testApp(t, { dbPath, publicUrl })
    const cve = `/cve/${enc(cves[0]!)}`
    for (const url of ['/', '/amzn2', advisoryPages[0]!, cve, `/packages/${enc(packageNames[0]!)}`, '/products', '/feeds', '/docs/api', '/no/such/page']) {
      const res = await app.inject({ url, headers: { host: 'security.example.org' } })
      t.equal(res.statusCode, url === '/no/such/page' ? 404 : 200, url)
      const links = htmlLinks(res.body)
      t.notMatch(res.body, /<form/, `${url}: no form`)
      t.same(links.filter((l) => l.includes('?') && !/^https:\/\/(www\.cve\.org|bugzilla)/.test(l)), [], `${url}: no query string`)
      t.same(links.filter((l) => l === '/check' || l.startsWith('/feeds/cve/') || l.includes('live.security')), [], `${url}: no /check, no per-CVE feed`)
    }
    const feeds = (await app.inject('/feeds')).body
    t.notMatch(feeds, /one CVE|Per CVE|Filters, combined/, '/feeds: no per-CVE feeds and no filters to offer')
    t.match((await app.inject('/no/such/page')).body, '<p class="lead">Nothing lives at this address: the link may be old or mistyped.</p>')

    const local = (await withCveFeeds.inject(cve)).body
    t.match(local, `<link rel="alternate" type="application/rss+xml" href="/feeds/cve/${cves[0]!}.rss"`, 'with --cve-feeds, the CVE page links its feeds in the copy')
    t.match((await withCveFeeds.inject('/feeds')).body, '<li>Per CVE: <code>/feeds/cve/&lt;CVE-ID&gt;.rss</code></li>')

    const home = (await livePages.inject('/')).body
    t.match(home, '<li><a href="/check">Check a server</a></li>', 'the live server\'s pages are as they were')
    t.match(home, '<form class="quick-search" role="search" action="/" method="get">')
    t.match(home, /<link rel="stylesheet" href="\/static\/style\.css\?v=[0-9a-f]{12}">/)
    t.match((await livePages.inject(cve)).body, `href="/feeds/cve/${cves[0]!}.rss"`)
    t.match((await livePages.inject('/no/such/page')).body, 'Nothing lives at /no/such/page.')
  })
})
