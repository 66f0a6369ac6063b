// "Check a server" (/check): the form, and its HTML answer checked against POST /api/v1/query for the same
// input (advisories, severity order, fixed NEVRAs, unreadable lines, epochs), the combined yum command read back
// by a shell, no-store, the rate limit, the Origin rule, errors shown on the form, and hostile input as text.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { buildApp, type AppOptions } from '../server/app.js'
import { defaultQueryLimits, epochNote } from '../server/matching/query-answer.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

// An id no shell may run: quotes, a command substitution, a separator and a space.
const oddId = 'LAB 2024;\'$(touch pwned)"'

const update = (id: string, severity: string | null, type: string, pkg: { name: string, epoch?: string, version: string, release: string, arch: string }): string => `
  <update status="final" type="${type}" version="1">
    <id>${id.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</id>
    <title>${id} update</title>
    <issued date="2024-05-01 10:00:00"/>
    ${severity === null ? '' : `<severity>${severity}</severity>`}
    <pkglist><collection short="lab"><package name="${pkg.name}" epoch="${pkg.epoch ?? '0'}" version="${pkg.version}" release="${pkg.release}" arch="${pkg.arch}"/></collection></pkglist>
  </update>`

const labXml = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  ${update('LAB-2024:0001', 'Critical', 'security', { name: 'tool', version: '2.0', release: '1', arch: 'x86_64' })}
  ${update('LAB-2024:0002', 'Important', 'security', { name: 'tool', version: '1.5', release: '1', arch: 'x86_64' })}
  ${update('LAB-2024:0003', 'Moderate', 'bugfix', { name: 'libx', version: '3.0', release: '1', arch: 'x86_64' })}
  ${update('LAB-2024:0004', 'Low', 'security', { name: 'epo', epoch: '1', version: '2.0', release: '1', arch: 'x86_64' })}
  ${update(oddId, 'severity_1', 'security', { name: 'oddpkg', version: '1.0', release: '2', arch: 'x86_64' })}
  ${update('LAB-2024:0006', null, 'enhancement', { name: 'plain', version: '3.0', release: '1', arch: 'noarch' })}
  ${update('LAB-2024:0007', 'Medium', 'security', { name: 'med', version: '1.1', release: '1', arch: 'x86_64' })}
  ${update('LAB-2024:0010', 'Critical', 'security', { name: 'zed', version: '5.0', release: '1', arch: 'x86_64' })}
  ${update('LAB-2024:0011', 'Critical', 'security', { name: 'uptodate', version: '9.0', release: '1', arch: 'x86_64' })}
</updates>`

// What a person pastes: plain rpm -qa lines (epochs assumed), --qf lines with epochs, a comment, a blank line,
// a package with nothing to fix, markup and junk.
const pasted = [
  'tool-1.0-1.x86_64',
  'libx-0:2.0-1.x86_64',
  '# a comment',
  'epo-1:1.0-1.x86_64',
  '',
  'oddpkg-1.0-1.x86_64',
  'plain-2.0-1.noarch',
  'med-1.0-1.x86_64',
  'zed-0:4.0-1.x86_64',
  'uptodate-0:9.9-1.x86_64',
  '<script>alert(1)</script>',
  'not a package'
].join('\r\n')

// Critical, Important, Moderate, Medium, Low, other severities, then none; newest id first within one.
const expectedOrder = [
  ['critical', ['LAB-2024:0010', 'LAB-2024:0001']],
  ['important', ['LAB-2024:0002']],
  ['moderate', ['LAB-2024:0003']],
  ['medium', ['LAB-2024:0007']],
  ['low', ['LAB-2024:0004']],
  ['severity_1', [oddId]],
  ['none', ['LAB-2024:0006']]
]

const dir = tempDir(t)
const dbPath = join(dir, 'db.sqlite')
const labRoot = join(dir, 'lab')
writeRepo(labRoot, labXml)
const lab: RepoSpec = { productId: 'lab', productName: 'Lab <b>Linux</b>', url: labRoot, kind: 'baseurl', baseurls: [labRoot], name: 'lab', allowedHosts: [] }
const second: RepoSpec = { ...lab, productId: 'other', productName: 'Other Linux', url: join(dir, 'other'), baseurls: [join(dir, 'other')], name: 'other' }
writeRepo(join(dir, 'other'), '<?xml version="1.0"?><updates></updates>')
const ingest = await runIngest({ dbPath, repos: [lab, second] })
t.same(ingest.repos.map((r) => r.status), ['ok', 'ok'], 'lab repos ingested')

async function makeApp (t: Test, options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ dbPath, ...options })
  t.teardown(async () => { await app.close() })
  return app
}

const form = (fields: Record<string, string | string[]>): string => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one)
  return params.toString()
}

async function postCheck (app: FastifyInstance, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/check', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form(fields) })
}

const decode = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
const all = (re: RegExp, s: string): RegExpExecArray[] => [...s.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))]
const main = (html: string): string => html.slice(html.indexOf('<main'), html.indexOf('</main>'))

interface PageAdvisory { id: string, href: string, type: string, fixes: Array<{ installed: string, fixed: string, assumed: boolean }> }

/** The answer page read back: severity groups in order, their advisories, fixes, the command, the unreadable lines. */
function readAnswer (html: string): { groups: Array<{ severity: string, advisories: PageAdvisory[] }>, command: string | null, unparsed: Array<{ line: number, input: string, reason: string }> } {
  const body = main(html)
  const groups = all(/<section class="severity-group" data-severity="([^"]*)"[^>]*>([\s\S]*?)<\/section>/, body).map(([, severity, inner]) => ({
    severity: decode(severity!),
    advisories: all(/<li class="check-advisory" data-id="([^"]*)">([\s\S]*?)<\/ul>\s*<\/li>/, inner!).map(([, id, li]) => ({
      id: decode(id!),
      href: decode(/<a href="([^"]*)">/.exec(li!)![1]!),
      type: decode(/<span class="check-type">([^<]*)<\/span>/.exec(li!)![1]!),
      fixes: all(/<li><code class="installed">([^<]*)<\/code>( <span class="check-assumed">)?[\s\S]*?<code class="fixed">([^<]*)<\/code><\/li>/, li!)
        .map(([, installed, assumed, fixed]) => ({ installed: decode(installed!), fixed: decode(fixed!), assumed: assumed !== undefined }))
    }))
  }))
  const command = /<code class="command check-command">([^<]*)<\/code>/.exec(body)
  const unparsed = all(/<li data-line="(\d+)"><span class="line-no">Line \d+:<\/span> <code>([^<]*)<\/code> <span class="reason">([^<]*)<\/span><\/li>/, body)
    .map(([, line, input, reason]) => ({ line: Number(line), input: decode(input!), reason: decode(reason!) }))
  return { groups, command: command === null ? null : decode(command[1]!), unparsed }
}

/** The textarea's content and the selected product: what the person sent, kept for the next try. */
function readForm (html: string): { product: string | null, packages: string, options: string[] } {
  const select = /<select id="check-product" name="product" required>([\s\S]*?)<\/select>/.exec(html)![1]!
  const selected = /<option value="([^"]*)" selected>/.exec(select)
  const textarea = /<textarea id="check-packages" name="packages"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(html)![1]!
  return { product: selected === null ? null : decode(selected[1]!), packages: decode(textarea), options: all(/<option value="([^"]*)"/, select).map((m) => decode(m[1]!)) }
}

const errorOf = (html: string): string | null => {
  const m = /<p class="notice failed-notice check-error" role="alert"><strong>Not checked\.<\/strong> ([\s\S]*?)<\/p>/.exec(html)
  return m === null ? null : decode(m[1]!)
}

/** Runs `set -- <command>` in /bin/sh with no PATH (anything it tried to run fails loudly) and returns the words. */
function shellWords (t: Test, command: string, cwd: string): string[] {
  const run = spawnSync('/bin/sh', ['-c', `set -- ${command}\nprintf '%s\\0' "$@"`], { cwd, env: { PATH: '/nonexistent' }, encoding: 'utf8' })
  t.equal(run.stderr, '', 'the shell ran nothing')
  t.equal(run.status, 0, 'the shell exits 0')
  return run.stdout.split('\0').slice(0, -1)
}

interface ApiAnswer {
  checked: number
  advisories: number
  epochs_assumed: number
  results: Array<{ installed: string, epoch_assumed: boolean, advisories: Array<{ id: string, severity: string | null, type: string | null, fixed: string, html_url: string }> }>
  unparsed: Array<{ index: number, input: string, reason: string }>
}

const app = await makeApp(t)

t.test('GET /check: the form, its products and the nav link', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/check' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
  t.match(res.headers['cache-control'], /^public, max-age=60$/, 'the empty form is cached like other pages')
  t.equal(res.headers['referrer-policy'], 'same-origin', 'the form page sends its Origin on its own post')
  t.match(res.body, /<h1>Check a server<\/h1>/)
  t.match(res.body, /<form class="filters check-form" action="\/check" method="post">/)
  t.match(res.body, /<a href="\/check" aria-current="page">Check a server<\/a>/, 'the nav marks the page')
  t.match(res.body, "rpm -qa --qf '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n'", 'the help names the --qf format')
  t.notMatch(res.body, /<script|style=/i, 'no script, no inline style')
  const f = readForm(res.body)
  t.same(f, { product: '', packages: '', options: ['', 'lab', 'other'] }, 'a placeholder and one option per product, none chosen')
  t.match(res.body, '<option value="lab">Lab &lt;b&gt;Linux&lt;/b&gt; (lab)</option>', 'product names are text')

  const home = await app.inject({ method: 'GET', url: '/' })
  t.match(home.body, /<li><a href="\/check">Check a server<\/a><\/li>/, 'every page links to it, unmarked elsewhere')
  t.equal(home.headers['referrer-policy'], 'no-referrer', 'other pages keep no-referrer')
})

t.test('POST /check: the same advisories as POST /api/v1/query, by severity, with one command', async (t) => {
  const res = await postCheck(app, { product: 'lab', packages: pasted })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store', 'an answer about one server is never stored')
  t.equal(res.headers.etag, undefined, 'and has no validator')
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
  const api = (await app.inject({ method: 'POST', url: '/api/v1/query?product=lab', headers: { 'content-type': 'text/plain' }, payload: pasted })).json<ApiAnswer>()
  const page = readAnswer(res.body)

  t.same(page.groups.map((g) => [g.severity, g.advisories.map((a) => a.id)]), expectedOrder, 'groups and advisories in order')
  const pageIds = page.groups.flatMap((g) => g.advisories.map((a) => a.id))
  const apiIds = [...new Set(api.results.flatMap((r) => r.advisories.map((a) => a.id)))]
  t.same([...pageIds].sort(), [...apiIds].sort(), 'exactly the API\'s advisories')
  t.equal(api.advisories, pageIds.length)

  // Each advisory's fixes and severity are the API's.
  for (const g of page.groups) {
    for (const a of g.advisories) {
      const fromApi = api.results.flatMap((r) => r.advisories.filter((x) => x.id === a.id).map((x) => ({ installed: r.installed, fixed: x.fixed, assumed: r.epoch_assumed, x })))
      t.same(a.fixes, fromApi.map(({ installed, fixed, assumed }) => ({ installed, fixed, assumed })), `${a.id}: installed -> fixed as the API says`)
      t.equal(g.severity, fromApi[0]!.x.severity?.toLowerCase() ?? 'none', `${a.id}: in its severity's group`)
      t.equal(`http://localhost${a.href}`, fromApi[0]!.x.html_url, `${a.id}: links to its page`)
    }
  }
  t.same(page.groups[0]!.advisories[1], { id: 'LAB-2024:0001', href: '/lab/LAB-2024%3A0001', type: 'Security', fixes: [{ installed: 'tool-1.0-1.x86_64', fixed: 'tool-2.0-1.x86_64', assumed: true }] })
  t.same(page.groups[5]!.advisories[0]!.fixes, [{ installed: 'oddpkg-1.0-1.x86_64', fixed: 'oddpkg-1.0-2.x86_64', assumed: true }])
  t.same(page.groups[4]!.advisories[0]!.fixes, [{ installed: 'epo-1:1.0-1.x86_64', fixed: 'epo-1:2.0-1.x86_64', assumed: false }], 'an epoch given is shown and not assumed')
  t.equal(page.groups[6]!.advisories[0]!.type, 'Enhancement')

  // The summary counts.
  t.equal(api.checked, 8)
  t.match(main(res.body), `Read <strong>8 packages</strong>; <strong>2 lines</strong> could not be read. <strong>${pageIds.length} advisories apply</strong>.`)

  // One command for all of them, every word exact in a shell, nothing run.
  const words = shellWords(t, page.command!, dir)
  t.same(words, ['yum', 'update', ...pageIds.map((id) => `--advisory=${id}`)], 'yum update --advisory=... for each, in the page\'s order')
  t.same(readdirSync(dir).filter((f) => f.startsWith('pwned')), [], 'the odd id ran nothing')
  t.match(page.command, '--advisory=\'LAB 2024;\'\\\'\'$(touch pwned)"\'', 'the odd id is quoted')

  // Unreadable lines: number and reason, as the API gives them.
  t.same(page.unparsed, api.unparsed.map((u) => ({ line: u.index, input: u.input, reason: u.reason })))
  t.same(page.unparsed.map((u) => [u.line, u.input]), [[11, '<script>alert(1)</script>'], [12, 'not a package']], 'line numbers count every pasted line')

  // The epoch note: the API's, and which of the listed packages had no epoch.
  t.equal(api.epochs_assumed, 4)
  const text = decode(main(res.body).replace(/<[^>]*>/g, ''))
  t.match(text, `Epochs assumed. ${epochNote(4)} Of the packages below, these were read without an epoch: med-1.0-1.x86_64, oddpkg-1.0-1.x86_64, plain-2.0-1.noarch, tool-1.0-1.x86_64.`)
  t.match(res.body, '<code class="installed">tool-1.0-1.x86_64</code> <span class="check-assumed">(epoch assumed)</span>')

  // The form is still filled in, so the person can edit and send again.
  const f = readForm(res.body)
  t.equal(f.product, 'lab')
  t.equal(f.packages, pasted.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n'), 'the packages are in the box as sent')
  t.match(res.body, /<h2 id="check-form-heading">Check again<\/h2>/)
})

t.test('POST /check: hostile lines stay text', async (t) => {
  const hostile = '<script>alert(1)</script>\n"><img src=x onerror=alert(2)>\n</textarea><script>alert(3)</script>'
  const res = await postCheck(app, { product: 'lab', packages: hostile })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, /<script|<img|<\/textarea><script/i, 'no markup from the input')
  t.match(res.body, '<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>', 'shown as text in the list')
  t.equal(readForm(res.body).packages, hostile, 'and exact in the box')
  t.same(readAnswer(res.body).unparsed.map((u) => u.input), hostile.split('\n'))
  t.match(main(res.body), 'No line could be read as a package, so nothing was checked.')
})

t.test('POST /check: nothing applies, said plainly', async (t) => {
  const res = await postCheck(app, { product: 'lab', packages: 'tool-0:9.0-1.x86_64\nbash-0:5.0-1.x86_64\n' })
  t.equal(res.statusCode, 200)
  const page = readAnswer(res.body)
  t.same(page.groups, [])
  t.equal(page.command, null, 'no command')
  t.match(main(res.body), 'Read <strong>2 packages</strong>. <strong>0 advisories apply</strong>.')
  t.match(main(res.body), 'No advisory of Lab &lt;b&gt;Linux&lt;/b&gt; applies to these packages')
  t.notMatch(res.body, 'Epochs assumed', 'no epoch note when every epoch was given')
  const other = await postCheck(app, { product: 'other', packages: 'tool-1.0-1.x86_64' })
  t.match(main(other.body), 'No advisory of Other Linux applies to these packages', 'another product has its own advisories')
})

t.test('POST /check: refused input shows the form again with the reason', async (t) => {
  const cases: Array<[string, Record<string, string | string[]>, number, string | RegExp]> = [
    ['an unknown product', { product: 'nope', packages: 'tool-1.0-1.x86_64' }, 400, 'Unknown product "nope"; known products: lab, other.'],
    ['no product', { packages: 'tool-1.0-1.x86_64' }, 400, 'Choose the product the server runs.'],
    ['an empty product', { product: '', packages: 'tool-1.0-1.x86_64' }, 400, 'Choose the product the server runs.'],
    ['two products', { product: ['lab', 'other'], packages: 'tool-1.0-1.x86_64' }, 400, 'Choose one product (the form sent several).'],
    ['no packages', { product: 'lab' }, 400, /^Paste the output of rpm -qa: there is no package line in the box/],
    ['only blank lines and comments', { product: 'lab', packages: '\n  \n# rpm -qa\n' }, 400, /^Paste the output of rpm -qa/]
  ]
  for (const [what, fields, status, message] of cases) {
    const res = await postCheck(app, fields)
    t.equal(res.statusCode, status, `${what}: ${status}`)
    t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`)
    t.match(res.headers['content-type'], /^text\/html/, `${what}: an HTML page`)
    t.match(errorOf(res.body), message, `${what}: the reason above the form`)
    t.ok(res.body.indexOf('check-error') < res.body.indexOf('<form class="filters check-form"'), `${what}: above the form`)
    t.same(readAnswer(res.body).groups, [], `${what}: no result`)
    if (typeof fields.packages === 'string') t.equal(readForm(res.body).packages, fields.packages, `${what}: the packages are kept`)
  }
  t.equal(readForm((await postCheck(app, { product: 'nope', packages: 'x' })).body).product, null, 'an unknown product selects no product')

  // The service's own bounds: too many packages (400) and too costly a match (413).
  const small = await makeApp(t, { queryLimits: { ...defaultQueryLimits, maxPackages: 3, maxComparisons: 1 } })
  const many = await postCheck(small, { product: 'lab', packages: 'a-1-1.x86_64\nb-1-1.x86_64\nc-1-1.x86_64\nd-1-1.x86_64' })
  t.equal(many.statusCode, 400)
  t.equal(errorOf(many.body), 'packages: at most 3 per request, got 4')
  const costly = await postCheck(small, { product: 'lab', packages: 'tool-1.0-1.x86_64' })
  t.equal(costly.statusCode, 413)
  t.match(errorOf(costly.body), /^packages: this query would compare 1 distinct installed packages with 2 fixed packages of the same names, over the limit of 1 comparisons/)
  t.equal(readForm(costly.body).packages, 'tool-1.0-1.x86_64')

  // What the body parser refuses is shown on the form too.
  const huge = await app.inject({ method: 'POST', url: '/check', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `product=lab&packages=${'a'.repeat(8 * 1024 * 1024)}` })
  t.equal(huge.statusCode, 413)
  t.match(errorOf(huge.body), /^The pasted text is larger than 8 MB/)
  const json = await app.inject({ method: 'POST', url: '/check', headers: { 'content-type': 'application/json' }, payload: '{"product":"lab","packages":"tool-1.0-1.x86_64"}' })
  t.equal(json.statusCode, 415, 'only form bodies')
  t.match(errorOf(json.body), /^Content type "application\/json" is not accepted/)
})

t.test('only /check reads form bodies', async (t) => {
  t.equal(app.hasContentTypeParser('application/x-www-form-urlencoded'), false, 'no parser at the root')
  const api = await app.inject({ method: 'POST', url: '/api/v1/query?product=lab', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'product=lab&packages=tool-1.0-1.x86_64' })
  t.equal(api.statusCode, 415, 'the API still refuses a form')
})

t.test('POST /check refuses another origin, answers its own', async (t) => {
  const fields = { product: 'lab', packages: 'tool-1.0-1.x86_64' }
  const foreign = await postCheck(app, fields, { origin: 'https://elsewhere.example' })
  t.equal(foreign.statusCode, 403)
  t.match(foreign.headers['content-type'], /^text\/html/)
  t.match(foreign.body, 'cross-origin request from https://elsewhere.example refused')
  t.equal(foreign.headers['access-control-allow-origin'], undefined)
  t.equal((await postCheck(app, fields, { origin: 'null' })).statusCode, 403, 'an opaque origin is another origin')
  t.equal((await postCheck(app, fields, { origin: 'http://localhost' })).statusCode, 200, 'the portal\'s own origin')
  t.equal((await postCheck(app, fields)).statusCode, 200, 'no Origin (curl)')
  const proxied = await makeApp(t, { publicUrl: 'https://security.example.org' })
  t.equal((await postCheck(proxied, fields, { origin: 'https://security.example.org' })).statusCode, 200, 'the public URL\'s origin')
  t.equal((await postCheck(proxied, fields, { origin: 'http://localhost' })).statusCode, 403, 'not the request host then')
})

t.test('POST /check is rate limited like the API, with an HTML 429', async (t) => {
  const limited = await makeApp(t, { queryLimits: { ...defaultQueryLimits, rateLimit: { max: 2, windowMs: 60_000 } } })
  const fields = { product: 'lab', packages: 'tool-1.0-1.x86_64' }
  for (let i = 1; i <= 2; i++) t.equal((await postCheck(limited, fields)).statusCode, 200, `check ${i}`)
  const third = await postCheck(limited, fields)
  t.equal(third.statusCode, 429)
  t.match(third.headers['content-type'], /^text\/html; charset=utf-8/, 'a page, not JSON')
  t.equal(third.headers['cache-control'], 'no-store')
  t.match(third.headers['retry-after'], /^\d+$/)
  t.ok(Number(third.headers['retry-after']) > 0 && Number(third.headers['retry-after']) <= 60, 'retry-after within the window')
  t.match(third.body, /<h1>Too many requests<\/h1>/)
  t.match(third.body, /rate limit: at most 2 queries per 1 minute; retry after \d+ s/)
  t.equal((await limited.inject({ method: 'GET', url: '/check' })).statusCode, 200, 'the form itself is not counted')
  // The API's own count is separate from the page's.
  t.equal((await limited.inject({ method: 'POST', url: '/api/v1/query?product=lab', headers: { 'content-type': 'text/plain' }, payload: 'tool-1.0-1.x86_64' })).statusCode, 200)
})

t.test('POST /check: the command is the product\'s package manager\'s', async (t) => {
  const own = tempDir(t)
  const product = (id: string, advisoryId: string, packageManager: string | null): RepoSpec => {
    writeRepo(join(own, id), `<?xml version="1.0"?>\n<updates>${update(advisoryId, 'Important', 'security', { name: 'tool', version: '2.0', release: '1', arch: 'x86_64' })}\n</updates>`)
    return { productId: id, productName: `${id} Linux`, url: join(own, id), kind: 'baseurl', baseurls: [join(own, id)], name: id, allowedHosts: [], product: { packageManager, sourceRepo: null, signingKey: null } }
  }
  const repos = [
    product('al2023', 'ALAS2023-2024-001', null), // unconfigured: the id says dnf
    product('suse', 'openSUSE-2024-1', 'zypper'),
    product('bottle', 'BRSA-2024-1', 'none'),
    product('epll', 'ELSA-2024-1', 'yum')
  ]
  const summary = await runIngest({ dbPath: join(own, 'db.sqlite'), repos })
  t.same(summary.repos.map((r) => r.status), repos.map(() => 'ok'))
  const managed = await makeApp(t, { dbPath: join(own, 'db.sqlite') })
  const commandOf = async (id: string): Promise<string | null> => readAnswer((await postCheck(managed, { product: id, packages: 'tool-1.0-1.x86_64' })).body).command
  t.equal(await commandOf('al2023'), 'dnf upgrade --advisory=ALAS2023-2024-001')
  t.equal(await commandOf('suse'), 'zypper install -t patch openSUSE-2024-1')
  t.equal(await commandOf('epll'), 'yum update --advisory=ELSA-2024-1')
  const none = await postCheck(managed, { product: 'bottle', packages: 'tool-1.0-1.x86_64' })
  t.equal(readAnswer(none.body).command, null, 'no command without a package manager')
  t.match(main(none.body), 'Apply with the OS\'s update mechanism: bottle Linux has no package manager to run')
  t.match(main(none.body), 'BRSA-2024-1', 'the advisory is still listed')
})
