// What a repo (or its mirror) may change, and what it may not (docs/reliability.md, items 8, 12, 13,
// 15 and 16): a mass withdrawal or an older repomd is refused unless the operator confirms it; every
// field, attribute and whole <update> has a bound, and so has the nesting depth; a mirror that fails
// any step is skipped for the next one; a read-only or full database directory is named as such, and
// --json always answers. Every case starts from a database with good data (product "amzn", and another
// product "rocky" that must still be ingested); a refused run must leave snapshot() exactly as it was.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip, gzipSync } from 'node:zlib'
import type { RepoSpec } from '../ingest/config.js'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { runIngest, type RunOptions } from '../ingest/run.js'
import { runCli } from './helpers/cli.js'
import { dbState, readRows, snapshot } from './helpers/db.js'
import { startServer, type TestServer } from './helpers/http-server.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { runCliMeasured } from './helpers/peak-rss.js'
import { writeRepo } from './helpers/repo-builder.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

const rockyXml = readFileSync(join(fixturesDir, 'updateinfo', 'vuln-list-update__rocky_happy_updateinfo.xml'))

/** amzn's advisories: AMZN-2016-00001 ... in the generator's realistic shape, one package each. */
const amzn = (advisories: number): string => updateinfoText({ advisories, packagesPerAdvisory: 1, idPrefix: 'AMZN' })
const emptyUpdates = '<?xml version="1.0" encoding="UTF-8"?>\n<updates/>\n'
/** `xml` with `extra` inserted before </updates>. */
const withExtra = (xml: string, extra: string): string => xml.replace('</updates>', `${extra}</updates>`)

function update (id: string, body = '', attributes = ''): string {
  return `<update from="sec@example.org" status="final" type="security" version="1"${attributes}><id>${id}</id>` +
    `<title>Important: ${id}</title><issued date="2024-01-01 00:00"/><severity>Important</severity>${body}</update>`
}

function spec (productId: string, ...baseurls: string[]): RepoSpec {
  return { productId, productName: productId, url: baseurls[0]!, kind: 'baseurl', baseurls, name: null, allowedHosts: [] }
}

/** Sets repomd.xml's <revision> and every <timestamp> (writeRepo writes 1700000000 for both). */
function setRepomdAge (root: string, revision: string, timestamp: string): void {
  const path = join(root, 'repodata', 'repomd.xml')
  writeFileSync(path, readFileSync(path, 'utf8')
    .replace(/<revision>[^<]*<\/revision>/, `<revision>${revision}</revision>`)
    .replace(/<timestamp>[^<]*<\/timestamp>/g, `<timestamp>${timestamp}</timestamp>`))
}

interface Lab { dir: string, db: string, amzn: string, rocky: string, before: string, republished: number }
interface Outcome { amzn: RepoResult, rocky: RepoResult, warnings: string[] }

/** A database with amzn (`first`) and rocky ingested. */
async function goodLab (t: Test, first: string, db?: string): Promise<Lab> {
  const dir = tempDir(t)
  const lab: Lab = { dir, db: db ?? join(dir, 'db.sqlite'), amzn: join(dir, 'amzn'), rocky: join(dir, 'rocky'), before: '', republished: 0 }
  writeRepo(lab.amzn, first)
  writeRepo(lab.rocky, rockyXml)
  const summary = await runIngest({ dbPath: lab.db, repos: [spec('amzn', lab.amzn), spec('rocky', lab.rocky)] })
  t.strictSame(summary.repos.map((r) => [r.product, r.status, r.error]), [['amzn', 'ok', null], ['rocky', 'ok', null]], 'the good data is in')
  lab.before = snapshot(lab.db)
  return lab
}

/** rocky is republished as other bytes, so that it is really read again, then both repos are ingested. */
async function ingestBoth (lab: Lab, options: Partial<RunOptions> = {}, amznSpec = spec('amzn', lab.amzn)): Promise<Outcome> {
  writeRepo(lab.rocky, `${rockyXml.toString('utf8')}<!-- republished ${++lab.republished} -->\n`)
  const warnings: string[] = []
  const summary = await runIngest({ dbPath: lab.db, repos: [amznSpec, spec('rocky', lab.rocky)], log: { info: () => {}, warn: (m) => { warnings.push(m) } }, ...options })
  return { amzn: summary.repos[0]!, rocky: summary.repos[1]!, warnings }
}

const counts = (r: RepoResult): unknown[] => [r.status, r.error, r.added, r.changed, r.unchanged, r.withdrawn]

function assertOtherIngested (t: Test, rocky: RepoResult): void {
  t.strictSame(counts(rocky), ['ok', null, 0, 0, 4, 0], 'the other product is read again and ingested')
}

/** amzn failed with `cause` (after "amzn repo <url>: "), nothing was written, the other repo was ingested. */
function assertRefused (t: Test, lab: Lab, outcome: Outcome, cause: RegExp, url = lab.amzn): void {
  t.strictSame(counts(outcome.amzn).slice(0, 1).concat(counts(outcome.amzn).slice(2)), ['failed', 0, 0, 0, 0], 'amzn fails, with no counts')
  t.equal(outcome.amzn.error?.startsWith(`amzn repo ${url}: `), true, `the error names the product and the repo: ${outcome.amzn.error ?? 'null'}`)
  t.match(outcome.amzn.error, cause, 'the error names the cause')
  assertOtherIngested(t, outcome.rocky)
  t.equal(snapshot(lab.db), lab.before, 'snapshot(): every advisory table, the search index and meta exactly as before')
}

// ---------------------------------------------------------------------------------------------
// Item 8: mass withdrawal, an updateinfo entry gone, an older repomd

const dropRefused = (dropped: number, listed: number, noEntry = false): RegExp => new RegExp(
  `: ${noEntry ? 'repomd\\.xml lists no updateinfo, which' : 'the updateinfo'} would drop ${dropped} of the ${listed} advisories this repo listed ` +
  '\\(more than 10 % and at least 5\\): refused as a likely broken or stale mirror; pass --allow-withdraw to confirm a real mass withdrawal$')

t.test('item 8: a valid but empty <updates/> is refused (exit 1); --allow-withdraw confirms it', async (t) => {
  const lab = await goodLab(t, amzn(20))
  writeRepo(lab.amzn, emptyUpdates)
  assertRefused(t, lab, await ingestBoth(lab), dropRefused(20, 20))

  const args = ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn', '--repo', lab.rocky, '--product', 'rocky']
  const cli = await runCli(t, args)
  t.equal(cli.code, 1, 'the CLI exits 1')
  const json = JSON.parse(cli.stdout) as { repos: Array<{ product: string, status: string, withdrawn: number, error: string | null }> }
  t.match(json.repos[0]?.error, dropRefused(20, 20))
  t.equal(snapshot(lab.db), lab.before, 'nothing written by the CLI either')

  const confirmed = await runCli(t, [...args, '--allow-withdraw'])
  t.equal(confirmed.code, 0, confirmed.stderr)
  const after = JSON.parse(confirmed.stdout) as typeof json
  t.strictSame(after.repos.map((r) => [r.product, r.status, r.withdrawn, r.error]), [['amzn', 'ok', 20, null], ['rocky', 'unchanged', 0, null]], 'confirmed: all 20 withdrawn')
  t.equal(dbState(lab.db).withdrawn, 20)
})

t.test('item 8: a repomd.xml without its updateinfo entry is refused as a mass withdrawal', async (t) => {
  const lab = await goodLab(t, amzn(20))
  writeFileSync(join(lab.amzn, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1700000001</revision>
  <data type="primary"><checksum type="sha256">${'0'.repeat(64)}</checksum><location href="repodata/primary.xml.gz"/><timestamp>1700000001</timestamp><size>1</size></data>
</repomd>
`)
  assertRefused(t, lab, await ingestBoth(lab), dropRefused(20, 20, true))
  const confirmed = await ingestBoth(lab, { allowWithdraw: true })
  t.strictSame(counts(confirmed.amzn), ['ok', null, 0, 0, 0, 20], 'with allowWithdraw (--allow-withdraw): withdrawn')
  t.match(confirmed.warnings, [/repomd\.xml lists no updateinfo, which would drop 20 of the 20 advisories this repo listed; accepted with --allow-withdraw$/])
})

t.test('item 8: the threshold is more than 10 % and at least 5 advisories', async (t) => {
  await t.test('6 of 50 dropped (12 %): refused; 5 of 50 (10 %): accepted', async (t) => {
    const lab = await goodLab(t, amzn(50))
    writeRepo(lab.amzn, amzn(44))
    assertRefused(t, lab, await ingestBoth(lab), dropRefused(6, 50))
    writeRepo(lab.amzn, amzn(45))
    t.strictSame(counts((await ingestBoth(lab)).amzn), ['ok', null, 0, 0, 45, 5], '5 withdrawn')
  })
  await t.test('a repo of 4 advisories may drop all 4 (fewer than 5)', async (t) => {
    const lab = await goodLab(t, amzn(4))
    writeRepo(lab.amzn, emptyUpdates)
    t.strictSame(counts((await ingestBoth(lab)).amzn), ['ok', null, 0, 0, 0, 4])
  })
  // The guard counts what the repo drops, not only withdrawals: an empty x86_64 repo would take its
  // packages out of every advisory that the aarch64 repo still lists.
  await t.test('an advisory that another repo of the product still lists counts as dropped', async (t) => {
    const lab = await goodLab(t, amzn(10))
    const aarch64 = join(lab.dir, 'amzn-aarch64')
    writeRepo(aarch64, amzn(10))
    const both = [spec('amzn', lab.amzn), spec('amzn', aarch64)]
    t.strictSame((await runIngest({ dbPath: lab.db, repos: both })).repos.map((r) => r.status), ['unchanged', 'ok'])
    lab.before = snapshot(lab.db)
    writeRepo(lab.amzn, emptyUpdates)
    assertRefused(t, lab, await ingestBoth(lab), dropRefused(10, 10))
  })
})

t.test('item 8: a repomd older than the last one ingested (revision or timestamp going back) is refused', async (t) => {
  const lab = await goodLab(t, amzn(20))
  t.strictSame(readRows(lab.db, 'SELECT repomd_revision, repomd_timestamp FROM repo WHERE product_id = ?', 'amzn'),
    [{ repomd_revision: '1700000000', repomd_timestamp: '1700000000' }], 'the revision and newest timestamp are stored per repo (migration 0003)')
  t.ok(readRows<{ user_version: number }>(lab.db, 'PRAGMA user_version')[0]!.user_version >= 3, 'migration 0003 is applied')

  writeRepo(lab.amzn, amzn(21))
  setRepomdAge(lab.amzn, '1699999999', '1700000000')
  assertRefused(t, lab, await ingestBoth(lab), /: repomd\.xml is older than the one last ingested \(its revision 1699999999 is older than 1700000000, the last one ingested\): a stale mirror, refused; pass --allow-withdraw if the repo really went back$/)

  // Rocky writes revision "8.4", which is not compared; the timestamps still are.
  setRepomdAge(lab.amzn, '8.4', '1690000000')
  assertRefused(t, lab, await ingestBoth(lab), /: repomd\.xml is older than the one last ingested \(its newest timestamp 1690000000 is older than 1700000000, the last one ingested\)/)

  setRepomdAge(lab.amzn, '1700000000', '1700000000')
  t.strictSame(counts((await ingestBoth(lab)).amzn), ['ok', null, 1, 0, 20, 0], 'the same age is not older: accepted')

  writeRepo(lab.amzn, amzn(22))
  setRepomdAge(lab.amzn, '1600000000', '1600000000')
  const confirmed = await ingestBoth(lab, { allowWithdraw: true })
  t.strictSame(counts(confirmed.amzn), ['ok', null, 1, 0, 21, 0], 'with allowWithdraw: accepted')
  t.match(confirmed.warnings, [/repomd\.xml is older than the one last ingested .*; accepted with --allow-withdraw$/])
  t.strictSame(readRows(lab.db, 'SELECT repomd_revision, repomd_timestamp FROM repo WHERE product_id = ?', 'amzn'), [{ repomd_revision: '1600000000', repomd_timestamp: '1600000000' }])
})

// ---------------------------------------------------------------------------------------------
// Item 12: bounds on every field, every attribute and the whole <update>

t.test('item 12: seven 60 MB reference titles (gzipped) are refused, peak RSS well under 600 MB (CLI)', async (t) => {
  const lab = await goodLab(t, amzn(3))
  const mib = Buffer.alloc(1024 * 1024, 'A')
  const head = amzn(3).replace(/<\/updates>\s*$/, '') + '<update type="security"><id>HUGE-2024:0001</id><title>huge</title><references>\n'
  function * chunks (): Generator<Buffer> {
    yield Buffer.from(head)
    for (let r = 0; r < 7; r++) {
      yield Buffer.from(`<reference type="other" id="huge-${r}" href="https://example.org/${r}" title="`)
      for (let i = 0; i < 60; i++) yield mib
      yield Buffer.from('"/>\n')
    }
    yield Buffer.from('</references></update></updates>\n')
  }
  const parts: Buffer[] = []
  const gzip = createGzip({ level: 9 })
  gzip.on('data', (b: Buffer) => parts.push(b))
  await pipeline(Readable.from(chunks()), gzip)
  const stored = Buffer.concat(parts)
  t.comment(`${Math.round(stored.length / 1024)} KB of gzip for ${7 * 60} MB of titles`)
  writeRepo(lab.amzn, Buffer.alloc(0), { stored, openChecksum: false })
  const line = head.split('\n').length

  const measured = await runCliMeasured(t, ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn', '--repo', lab.rocky, '--product', 'rocky'], 600)
  t.comment(`peak RSS of the ingest process: ${measured.peakMiB} MiB`)
  t.ok(measured.peakMiB > 20 && measured.peakMiB < 300, `peak RSS ${measured.peakMiB} MiB is well under 600 MB${measured.killed ? ' (killed at 600)' : ''}`)
  t.equal(measured.result.code, 1, 'exit status 1')
  const json = JSON.parse(measured.result.stdout) as { repos: RepoResult[] }
  t.equal(json.repos[0]?.error, `amzn repo ${lab.amzn}: advisory HUGE-2024:0001 (the <update> at line ${head.split('\n').length - 1}): ` +
    `the title attribute of <reference> passes the 1048576-character limit for an attribute (line ${line}); the file is refused`)
  t.strictSame(json.repos[1] === undefined ? null : [json.repos[1].status, json.repos[1].error], ['unchanged', null], 'the other repo is still checked')
  t.equal(snapshot(lab.db), lab.before, 'snapshot() unchanged')
})

t.test('item 12: each field, attribute, the whole <update> and its element count, at and past the limit', async (t) => {
  const limits = { update: { maxField: 1000, maxDescription: 4000, maxUpdate: 30_000, maxElements: 100, maxDepth: 256 } }
  const lab = await goodLab(t, amzn(3))
  const base = amzn(3)
  const pkg = (i: number, src = 'p.src.rpm'): string => `<package name="p${i}" version="1" release="1" epoch="0" arch="x86_64" src="${src}"/>`
  const pkglist = (inner: string): string => `<pkglist><collection short="c"><name>c</name>${inner}</collection></pkglist>`
  const at = (xml: string, marker: string): number => xml.slice(0, xml.indexOf(marker)).split('\n').length
  const refused: Array<[string, string, (line: number) => RegExp]> = [
    ['<title> of 1001 characters', update('LIM-1').replace('<title>Important: LIM-1</title>', `<title>${'T'.repeat(1001)}</title>`),
      (l) => new RegExp(`: advisory LIM-1 \\(the <update> at line ${l}\\): the text of <title> passes the 1000-character limit for a field \\(line ${l}\\); the file is refused$`)],
    ['<description> of 4001 characters (cut by markup)', update('LIM-2', `<description>${'D'.repeat(2000)}<b/>${'D'.repeat(2001)}</description>`),
      (l) => new RegExp(`: advisory LIM-2 \\(the <update> at line ${l}\\): the text of <description> passes the 4000-character limit for a description`)],
    ['<summary> of 1001 characters as CDATA', update('LIM-3', `<summary><![CDATA[${'S'.repeat(1001)}]]></summary>`),
      () => /: advisory LIM-3 .*: the text of <summary> passes the 1000-character limit for a field/],
    ['a reference title of 1001 characters', update('LIM-4', `<references><reference type="other" title="${'R'.repeat(1001)}"/></references>`),
      () => /: advisory LIM-4 .*: the title attribute of <reference> passes the 1000-character limit for an attribute/],
    ['a package src of 1001 characters', update('LIM-5', pkglist(pkg(1, 'x'.repeat(1001)))),
      () => /: advisory LIM-5 .*: the src attribute of <package> passes the 1000-character limit for an attribute/],
    ['a <filename> of 1001 characters', update('LIM-6', pkglist(`<package name="p" version="1" release="1" arch="x86_64"><filename>${'f'.repeat(1001)}</filename></package>`)),
      () => /: advisory LIM-6 .*: the text of <filename> passes the 1000-character limit for a field/],
    ["the <update>'s own author= of 1001 characters", update('LIM-7', '', ` author="${'a'.repeat(1001)}"`),
      (l) => new RegExp(`: the author attribute of <update> passes the 1000-character limit for an attribute \\(line ${l}\\); the file is refused$`)],
    ['an unknown element holding 4001 characters', update('LIM-8', `<message>${'m'.repeat(4001)}</message>`),
      () => /: advisory LIM-8 .*: a text node, CDATA section or comment passes the 4000-character limit/],
    ['31 packages of about 1000 characters: the whole <update> past 30,000', update('LIM-9', pkglist(Array.from({ length: 31 }, (_, i) => pkg(i, 's'.repeat(900))).join(''))),
      () => /: advisory LIM-9 .*: the whole <update> passes the 30000-character limit for one advisory/],
    // id, title, issued, severity, pkglist, collection, name: 7 elements, and 94 packages.
    ['101 elements', update('LIM-10', pkglist(Array.from({ length: 94 }, (_, i) => pkg(i)).join(''))),
      () => /: advisory LIM-10 .*: the <update> holds more than 100 elements, the limit for one advisory/]
  ]
  for (const [name, hostile, cause] of refused) {
    await t.test(`${name}: refused`, async (t) => {
      const xml = withExtra(base, `\n${hostile}`)
      writeRepo(lab.amzn, xml)
      assertRefused(t, lab, await ingestBoth(lab, { limits }), cause(at(xml, hostile)))
    })
  }
  await t.test('every field and attribute at its limit, and 100 elements: accepted', async (t) => {
    const accepted = [
      update('OK-1', `<summary>${'s'.repeat(1000)}</summary><description>${'d'.repeat(4000)}</description>` +
        `<references><reference type="other" title="${'r'.repeat(1000)}"/></references>`).replace('<title>Important: OK-1</title>', `<title>${'t'.repeat(1000)}</title>`),
      update('OK-2', pkglist(Array.from({ length: 93 }, (_, i) => pkg(i)).join('')))
    ]
    writeRepo(lab.amzn, withExtra(base, accepted.join('\n')))
    t.strictSame(counts((await ingestBoth(lab, { limits })).amzn), ['ok', null, 2, 0, 3, 0])
    t.strictSame(readRows(lab.db, "SELECT length(title) AS title, length(description) AS description FROM advisory WHERE id = 'OK-1'"), [{ title: 1000, description: 4000 }])
  })
})

t.test('item 12: with the default limits a 1 Mi + 1 character title is refused, a 1 MiB description accepted', async (t) => {
  const lab = await goodLab(t, amzn(3))
  writeRepo(lab.amzn, withExtra(amzn(3), update('BIG-1').replace('<title>Important: BIG-1</title>', `<title>${'T'.repeat(1024 * 1024 + 1)}</title>`)))
  assertRefused(t, lab, await ingestBoth(lab), /: advisory BIG-1 \(the <update> at line \d+\): the text of <title> passes the 1048576-character limit for a field \(line \d+\); the file is refused$/)
  writeRepo(lab.amzn, withExtra(amzn(3), update('BIG-2', `<description>${'D'.repeat(1024 * 1024)}</description>`)))
  t.strictSame(counts((await ingestBoth(lab)).amzn), ['ok', null, 1, 0, 3, 0])
})

// ---------------------------------------------------------------------------------------------
// Item 13: nesting depth

t.test('item 13: 256 levels are accepted; 257 are refused, naming the depth limit and the line', async (t) => {
  const lab = await goodLab(t, amzn(3))
  // <updates> is level 1 and <update> level 2: n levels of <n> inside <update> make a depth of n + 2.
  const nested = (levels: number): string => `${'<n>'.repeat(levels)}x${'</n>'.repeat(levels)}`
  writeRepo(lab.amzn, withExtra(amzn(3), `${update('DEEP-256', nested(254))}\n`))
  t.strictSame(counts((await ingestBoth(lab)).amzn), ['ok', null, 1, 0, 3, 0], 'depth 256: accepted')
  lab.before = snapshot(lab.db)

  const xml = withExtra(amzn(3), `\n${update('DEEP-257', nested(255))}\n`)
  writeRepo(lab.amzn, xml)
  const line = xml.slice(0, xml.indexOf('DEEP-257')).split('\n').length
  assertRefused(t, lab, await ingestBoth(lab), new RegExp(`: advisory DEEP-257 \\(the <update> at line ${line}\\): elements nest deeper than 256 levels \\(<n>\\), the depth limit libxml2 also applies \\(line ${line}\\); the file is refused$`))

  // Outside any <update> (an unknown element directly in <updates>) the same limit applies.
  writeRepo(lab.amzn, withExtra(amzn(3), `\n${nested(256)}`))
  assertRefused(t, lab, await ingestBoth(lab), /: elements nest deeper than 256 levels \(<n>\), the depth limit libxml2 also applies \(line \d+\); the file is refused$/)
})

// ---------------------------------------------------------------------------------------------
// Item 15: a mirror that fails any step is skipped for the next one

interface Mirrors { server: TestServer, a: string, b: string, aDir: string, bDir: string, mirrorlist: RepoSpec }

async function mirrors (t: Test): Promise<Mirrors> {
  const server = await startServer(t, { root: tempDir(t) })
  const aDir = join(server.root, 'a')
  const bDir = join(server.root, 'b')
  mkdirSync(aDir, { recursive: true })
  mkdirSync(bDir, { recursive: true })
  const a = server.url('/a/')
  const b = server.url('/b/')
  writeFileSync(join(server.root, 'mirror.list'), `# two mirrors\n${a}\n${b}\n`)
  const url = server.url('/mirror.list')
  return { server, a, b, aDir, bDir, mirrorlist: { productId: 'amzn', productName: 'amzn', url, kind: 'mirrorlist', baseurls: [], name: null, allowedHosts: [] } }
}

t.test('item 15: a mirror that fails any step is skipped for the next; its transaction is rolled back first', async (t) => {
  const m = await mirrors(t)
  writeRepo(m.aDir, amzn(20))
  writeRepo(m.bDir, amzn(20))
  const lab = await goodLab(t, amzn(20))
  // amzn is the mirrorlist repo from here on: its first run reads mirror a.
  // amzn's first repo (a directory) lists the same 20, so for this second repo of the product they are changed.
  const first = await ingestBoth(lab, {}, m.mirrorlist)
  t.strictSame(counts(first.amzn), ['ok', null, 0, 20, 0, 0])
  lab.before = snapshot(lab.db)
  const baseUrl = (): unknown => readRows(lab.db, 'SELECT base_url FROM repo WHERE url = ?', m.mirrorlist.url)

  let n = 20
  const cases: Array<[string, (good: string) => void, RegExp]> = [
    ['the updateinfo it lists answers 404', (good) => {
      writeRepo(m.aDir, good)
      m.server.on('/a/repodata/updateinfo.xml.gz', { status: 404 }, 1)
    }, /HTTP 404 Not Found: .*\/a\/repodata\/updateinfo\.xml\.gz does not exist/],
    ['size mismatch', (good) => { writeRepo(m.aDir, good, { claim: { size: 12345 } }) }, /size mismatch for .*\/a\/repodata\/updateinfo\.xml\.gz: repomd\.xml says 12345 bytes/],
    ['checksum mismatch', (good) => { writeRepo(m.aDir, good, { claim: { checksum: 'ab'.repeat(32) } }) }, /sha256 checksum mismatch for .*\/a\//],
    ['a truncated gzip (decompression)', (good) => {
      const gz = gzipSync(good)
      writeRepo(m.aDir, good, { stored: gz.subarray(0, gz.length - 100), openChecksum: false })
    }, /gzip data is corrupt or truncated/],
    ['invalid XML after a good <update> of its own (parse)', (good) => {
      writeRepo(m.aDir, good.replace('</updates>', `${update('ONLY-ON-A')}<broken></updates>`), { openChecksum: false })
    }, /invalid XML/],
    ['a stale mirror (an older revision)', () => {
      writeRepo(m.aDir, amzn(20))
      setRepomdAge(m.aDir, '1600000000', '1600000000')
    }, /repomd\.xml is older than the one last ingested/],
    ['a mass withdrawal (an empty <updates/>)', () => { writeRepo(m.aDir, emptyUpdates) }, /would drop 2\d of the 2\d advisories/],
    ['an advisory past a limit', (good) => {
      writeRepo(m.aDir, withExtra(good, update('HUGE-TITLE').replace('<title>Important: HUGE-TITLE</title>', `<title>${'T'.repeat(1024 * 1024 + 1)}</title>`)))
    }, /the text of <title> passes the 1048576-character limit/]
  ]
  for (const [name, breakA, cause] of cases) {
    await t.test(`mirror a: ${name}; mirror b is used`, async (t) => {
      const good = amzn(++n)
      writeRepo(m.bDir, good)
      breakA(good)
      const outcome = await ingestBoth(lab, {}, m.mirrorlist)
      t.strictSame(counts(outcome.amzn), ['ok', null, 1, 0, n - 1, 0], 'ingested from mirror b')
      t.strictSame(baseUrl(), [{ base_url: m.b }], 'the repo records mirror b')
      t.match(outcome.warnings.find((w) => w.startsWith(`amzn ${m.a}: `)), new RegExp(`${cause.source}.*; trying the next mirror$`), 'the failure of a is logged')
      t.strictSame(readRows(lab.db, "SELECT id FROM advisory WHERE id IN ('ONLY-ON-A', 'HUGE-TITLE')"), [], 'nothing of mirror a was kept')
      assertOtherIngested(t, outcome.rocky)
      m.server.clearRules()
    })
  }

  await t.test('every mirror fails: the error lists each mirror and its failure; nothing written', async (t) => {
    lab.before = snapshot(lab.db)
    const good = amzn(++n)
    writeRepo(m.aDir, good)
    m.server.on('/a/repodata/updateinfo.xml.gz', { status: 404 })
    writeRepo(m.bDir, good, { claim: { checksum: 'cd'.repeat(32) } })
    const outcome = await ingestBoth(lab, {}, m.mirrorlist)
    t.equal(outcome.amzn.error, `amzn repo ${m.mirrorlist.url}: every mirror failed: ` +
      `${m.a}: HTTP 404 Not Found: ${m.a}repodata/updateinfo.xml.gz does not exist; ` +
      `${m.b}: sha256 checksum mismatch for ${m.b}repodata/updateinfo.xml.gz: repomd.xml says ${'cd'.repeat(32)}, the downloaded file differs`)
    assertRefused(t, lab, outcome, /every mirror failed: /, m.mirrorlist.url)
    m.server.clearRules()
  })
})

t.test('item 15: baseurls of a .repo file are mirrors too: a stale first baseurl is skipped for the second', async (t) => {
  const lab = await goodLab(t, amzn(20))
  const stale = join(lab.dir, 'stale')
  writeRepo(stale, amzn(20))
  setRepomdAge(stale, '1600000000', '1600000000')
  writeRepo(lab.amzn, amzn(21))
  // The repo keeps its identity (url); its base URLs now list the stale copy first.
  const outcome = await ingestBoth(lab, {}, { ...spec('amzn', lab.amzn), baseurls: [stale, lab.amzn] })
  t.strictSame(counts(outcome.amzn), ['ok', null, 1, 0, 20, 0])
  t.match(outcome.warnings, [/repomd\.xml is older than the one last ingested .*; trying the next mirror$/])
})

// ---------------------------------------------------------------------------------------------
// Item 16: a read-only or full database directory; --json always answers

/** A size-limited tmpfs mounted for the test, or null (the test is skipped) where mount is not permitted. */
function tmpfs (t: Test, size: string): string | null {
  const mnt = mkdtempSync(join(tmpdir(), 'llsc-store-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'pipe' })
  } catch (err) {
    rmSync(mnt, { recursive: true, force: true })
    // A plan of 0 with a reason reports the test as skipped, and why.
    t.plan(0, `skipped: cannot mount a tmpfs (needs root and mount permission): ${(err as Error).message.split('\n')[0] ?? ''}`)
    return null
  }
  t.teardown(() => {
    try { execFileSync('umount', [mnt], { stdio: 'pipe' }) } catch { execFileSync('umount', ['-l', mnt], { stdio: 'pipe' }) }
    rmSync(mnt, { recursive: true, force: true })
  })
  return mnt
}

interface JsonAnswer { error?: string, repos: Array<{ product: string, status: string, error: string | null }> }

t.test('item 16: a read-only database directory is named as such; --json still answers', async (t) => {
  const mnt = tmpfs(t, '8m')
  if (mnt === null) return
  const lab = await goodLab(t, amzn(3), join(mnt, 'db.sqlite'))
  writeRepo(lab.amzn, amzn(4))
  execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' })
  const args = ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn', '--repo', lab.rocky, '--product', 'rocky']
  const res = await runCli(t, args)
  t.equal(res.code, 1, 'exit 1')
  const json = JSON.parse(res.stdout) as JsonAnswer
  t.equal(res.stdout, `${JSON.stringify(json)}\n`, 'one line of JSON on stdout')
  t.equal(json.error, `the database directory ${mnt} is read-only`, 'the cause, naming the directory')
  t.strictSame(json.repos.map((r) => [r.product, r.status, r.error]), [['amzn', 'failed', `not ingested: ${json.error ?? ''}`], ['rocky', 'failed', `not ingested: ${json.error ?? ''}`]])
  t.match(res.stderr, `ingest: the database directory ${mnt} is read-only`)
  t.notMatch(res.stderr, /ENOENT|unable to open database file\n|disk I\/O error\n/, 'not the misleading low-level message alone')
  execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'pipe' })
  t.equal(snapshot(lab.db), lab.before, 'nothing changed')
})

t.test('item 16: a full disk is named as such, per repo and for the whole run; --json still answers', async (t) => {
  const mnt = tmpfs(t, '16m')
  if (mnt === null) return
  const lab = await goodLab(t, amzn(3), join(mnt, 'db.sqlite'))
  const free = (): number => { const s = statfsSync(mnt); return s.bavail * s.bsize }
  const args = ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn', '--repo', lab.rocky, '--product', 'rocky']

  await t.test('1 MiB left, a large new updateinfo: that repo fails with "disk full"', async (t) => {
    writeRepo(lab.amzn, updateinfoText({ advisories: 2000, packagesPerAdvisory: 8, idPrefix: 'AMZN' }))
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, free() - 1024 * 1024)))
    const res = await runCli(t, args)
    t.equal(res.code, 1)
    const json = JSON.parse(res.stdout) as JsonAnswer
    t.match(json.repos[0]?.error, new RegExp(`^amzn repo ${lab.amzn}: disk full: no space left in ${mnt}, the database directory \\(`))
    t.strictSame([json.repos[1]?.status, json.repos[1]?.error], ['unchanged', null], 'the other repo is still checked')
    rmSync(join(mnt, 'filler'))
    t.equal(snapshot(lab.db), lab.before, 'nothing of the repo was written')
  })

  await t.test('no space at all: the run fails as a whole with "disk full", and --json answers', async (t) => {
    try { writeFileSync(join(mnt, 'filler'), Buffer.alloc(free())) } catch { /* full */ }
    try { writeFileSync(join(mnt, 'filler2'), Buffer.alloc(64 * 1024)) } catch { /* full */ }
    const res = await runCli(t, args)
    t.equal(res.code, 1)
    const json = JSON.parse(res.stdout) as JsonAnswer
    const said = json.error ?? json.repos.map((r) => r.error).join('; ')
    t.match(said, new RegExp(`disk full: no space left in ${mnt}, the database directory`), `disk full is named: ${said}`)
    t.equal(json.repos.length, 2, 'every repo is in the answer')
    rmSync(join(mnt, 'filler'), { force: true })
    rmSync(join(mnt, 'filler2'), { force: true })
    t.equal(snapshot(lab.db), lab.before, 'nothing changed')
  })
})

t.test('item 16: --json answers when another ingest holds the lock (exit 75)', async (t) => {
  const lab = await goodLab(t, amzn(3))
  const { acquireIngestLock } = await import('../ingest/lock.js')
  const lock = acquireIngestLock(lab.db, 0)
  t.teardown(() => lock.release())
  const res = await runCli(t, ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn'])
  t.equal(res.code, 75)
  const json = JSON.parse(res.stdout) as JsonAnswer
  t.match(json.error, /^another ingest is running on /)
  t.strictSame(json.repos.map((r) => r.status), ['failed'])
})
