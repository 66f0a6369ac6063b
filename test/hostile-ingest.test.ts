// Hostile input for the ingest worker: XML attacks, compression tricks, repomd.xml pointing elsewhere,
// odd content, big inputs and a full disk. Every case starts from a database with good data (another
// product "rocky", and a first good version of the attacked product "amzn"), replaces amzn's repo with
// the hostile content and runs both repos again. A refused file must leave every advisory table exactly
// as it was (docs/ingest.md: one transaction per repo); the other repo is still ingested; the database
// passes PRAGMA integrity_check; nothing crashes. The big inputs run through the CLI in a child process
// whose peak RSS (VmHWM) is polled, so that memory is proven bounded.
//
// Covered elsewhere, not repeated here:
// - truncated gzip, gzip with a wrong CRC32, invalid UTF-8 in a gzip'd text node, truncated XML, plain
//   XML named .gz, a gzip of nothing: test/negative-fixtures.test.ts (same snapshot pattern).
// - checksum and size mismatch (repomd <size> claim), HTTP status codes, retries, timeouts, redirects,
//   download size caps, a ~50 MB bomb with a 1 MB limit, .zck: test/ingest-http.test.ts and
//   test/repos-fixtures.test.ts (open-size / open-checksum).
// - the empty <repomd>, DOCTYPE in repomd.xml: test/repomd.test.ts.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { RepoSpec } from '../ingest/config.js'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { runIngest, type RunOptions } from '../ingest/run.js'
import { buildApp } from '../server/app.js'
import type { CliResult } from './helpers/cli.js'
import { runCliMeasured } from './helpers/peak-rss.js'
import { readRows, snapshot } from './helpers/db.js'
import { startServer } from './helpers/http-server.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

const fixture = (...path: string[]): Buffer => readFileSync(join(fixturesDir, ...path))
/** The other product: 4 advisories, must be ingested whatever happens to amzn. */
const rockyXml = fixture('updateinfo', 'vuln-list-update__rocky_happy_updateinfo.xml')
/** The attacked product's first good version: ALAS2-2018-942 and ALAS2-2018-949. */
const amznXml = fixture('updateinfo', 'vuln-list-update__amazon_updateinfo_2_items.xml')
const amznText = amznXml.toString('utf8')
const amznIds = ['ALAS2-2018-942', 'ALAS2-2018-949']

/** Peak RSS of the memory-bounded cases must stay below this (MiB). */
const maxPeakMiB = 400

/** `amzn`'s first good version with `extra` markup inserted before </updates>. */
const amznWith = (extra: string): string => amznText.replace('</updates>', `${extra}</updates>`)

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
/** How the portal's templates (Eta, autoEscape) write text into HTML. */
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

function update (id: string, body = ''): string {
  return `<update from="sec@example.org" status="final" type="security" version="1"><id>${escapeXml(id)}</id>` +
    `<title>${escapeXml(`Important: ${id}`)}</title><issued date="2024-01-01 00:00"/><severity>Important</severity>${body}</update>`
}

function spec (productId: string, url: string, allowedHosts: string[] = []): RepoSpec {
  return { productId, productName: productId, url, kind: 'baseurl', baseurls: [url], name: null, allowedHosts }
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

/** A repomd.xml with one updateinfo entry, exactly as given (for locations writeRepo cannot build). */
function writeRepomd (root: string, entry: { href: string, xmlBase?: string, checksum?: string, checksumType?: string, size?: number }): void {
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const base = entry.xmlBase === undefined ? '' : ` xml:base="${escapeXml(entry.xmlBase)}"`
  writeFileSync(join(root, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1700000001</revision>
  <data type="updateinfo">
    <checksum type="${entry.checksumType ?? 'sha256'}">${entry.checksum ?? sha256('not checked')}</checksum>
    <location${base} href="${escapeXml(entry.href)}"/>
    <timestamp>1700000001</timestamp>${entry.size === undefined ? '' : `\n    <size>${entry.size}</size>`}
  </data>
</repomd>
`)
}

/** Streams `chunks` into `root/href` (never one big string or buffer) and writes a repomd.xml for it. */
async function writeStreamedRepo (root: string, href: string, chunks: Iterable<Buffer>): Promise<void> {
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const hash = createHash('sha256')
  let size = 0
  const tap = new Transform({ transform (chunk: Buffer, _enc, done) { hash.update(chunk); size += chunk.length; done(null, chunk) } })
  await pipeline(Readable.from(chunks), tap, createWriteStream(join(root, href)))
  writeRepomd(root, { href, checksum: hash.digest('hex'), size })
}

/** Every row that belongs to one product's advisories, search index included, by table. */
function productRows (dbPath: string, product: string): Record<string, unknown[]> {
  const pks = 'SELECT pk FROM advisory WHERE product_id = ?'
  const children = (table: string): unknown[] => readRows(dbPath, `SELECT * FROM ${table} WHERE advisory_pk IN (${pks}) ORDER BY 1, 2, 3`, product)
  return {
    advisory: readRows(dbPath, 'SELECT * FROM advisory WHERE product_id = ? ORDER BY pk', product),
    advisory_repo: children('advisory_repo'),
    advisory_reference: children('advisory_reference'),
    advisory_cve: children('advisory_cve'),
    advisory_collection: children('advisory_collection'),
    advisory_module: readRows(dbPath, `SELECT * FROM advisory_module WHERE collection_pk IN (SELECT pk FROM advisory_collection WHERE advisory_pk IN (${pks})) ORDER BY 1, 2`, product),
    advisory_package: children('advisory_package'),
    advisory_history: children('advisory_history'),
    advisory_fts: readRows(dbPath, `SELECT rowid, * FROM advisory_fts WHERE rowid IN (${pks}) ORDER BY rowid`, product)
  }
}

const integrity = (dbPath: string): unknown => readRows(dbPath, 'PRAGMA integrity_check')

/** The tables of snapshot() (test/helpers/db.ts), in its order. */
const snapshotParts = ['product', 'advisory', 'advisory_repo', 'advisory_reference', 'advisory_cve', 'advisory_collection', 'advisory_module',
  'advisory_package', 'advisory_history', 'advisory_fts', 'meta']

/**
 * Which tables differ, with their row counts: a short answer where a diff of the rows themselves
 * could be megabytes (a hostile description is part of them).
 */
function changedTables (after: Record<string, unknown[]>, before: Record<string, unknown[]>): string[] {
  return Object.keys(before).filter((name) => JSON.stringify(after[name]) !== JSON.stringify(before[name]))
    .map((name) => `${name}: ${before[name]!.length} rows before, ${after[name]?.length ?? 0} after`)
}

const snapshotTables = (json: string): Record<string, unknown[]> =>
  Object.fromEntries((JSON.parse(json) as unknown[][]).map((rows, i) => [snapshotParts[i] ?? String(i), rows]))

/** The database file and its WAL, as bytes: nothing read from outside the repo may be in them. */
function databaseBytes (dbPath: string): Buffer {
  return Buffer.concat([dbPath, `${dbPath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)))
}

const passwdFirstLine = readFileSync('/etc/passwd', 'utf8').split('\n')[0]!

interface Lab {
  db: string
  /** amzn's repo root (a directory, or an http URL). */
  amzn: string
  rocky: string
  /** snapshot() and amzn's rows after the good first run. */
  before: string
  amznBefore: Record<string, unknown[]>
  republished: number
}

interface Outcome { amzn: RepoResult, rocky: RepoResult, warnings: string[] }

/** The database with good data: amzn's first good version and the other product, both ingested. */
async function goodLab (t: Test, amznUrl?: string): Promise<Lab> {
  const dir = tempDir(t)
  const db = join(dir, 'db.sqlite')
  const rocky = join(dir, 'rocky')
  writeRepo(rocky, rockyXml)
  let amzn = amznUrl
  if (amzn === undefined) {
    amzn = join(dir, 'amzn')
    writeRepo(amzn, amznXml)
  }
  const first = await runIngest({ dbPath: db, repos: [spec('amzn', amzn), spec('rocky', rocky)] })
  t.strictSame(first.repos.map((r) => [r.product, r.status, r.added, r.error]), [['amzn', 'ok', 2, null], ['rocky', 'ok', 4, null]], 'the good data is in')
  return { db, amzn, rocky, before: snapshot(db), amznBefore: productRows(db, 'amzn'), republished: 0 }
}

/**
 * The other product's repo is republished with other bytes (a comment after the root) and the same
 * advisories, so that it is really read again in the hostile run instead of being skipped as unchanged.
 */
function republishOther (lab: Lab): void {
  writeRepo(lab.rocky, `${rockyXml.toString('utf8')}<!-- republished ${++lab.republished} -->\n`)
}

/** Runs amzn (hostile by now) and the other product, as one ingest run. */
async function ingestBoth (lab: Lab, options: Partial<RunOptions> & { allowedHosts?: string[] } = {}): Promise<Outcome> {
  republishOther(lab)
  const warnings: string[] = []
  const { allowedHosts, ...rest } = options
  const summary = await runIngest({
    dbPath: lab.db,
    repos: [spec('amzn', lab.amzn, allowedHosts), spec('rocky', lab.rocky)],
    log: { info: () => {}, warn: (m) => { warnings.push(m) } },
    ...rest
  })
  return { amzn: summary.repos[0]!, rocky: summary.repos[1]!, warnings }
}

function assertOtherIngested (t: Test, rocky: { status: string, added: number, changed: number, unchanged: number, withdrawn: number, error: string | null }): void {
  t.strictSame([rocky.status, rocky.added, rocky.changed, rocky.unchanged, rocky.withdrawn, rocky.error], ['ok', 0, 0, 4, 0, null],
    'the other product is read again and ingested (its 4 advisories unchanged)')
}

/** Nothing of the attacked product (and of anything else) changed, and the database is sound. */
function assertIntact (t: Test, lab: Lab): void {
  t.strictSame(integrity(lab.db), [{ integrity_check: 'ok' }], 'PRAGMA integrity_check: ok')
  t.strictSame(changedTables(productRows(lab.db, 'amzn'), lab.amznBefore), [], "amzn's advisory rows are exactly as before")
  t.strictSame(changedTables(snapshotTables(snapshot(lab.db)), snapshotTables(lab.before)), [], 'every advisory table and the search index are exactly as before')
}

/** amzn failed with `cause` (after "amzn repo <url>: "), nothing was written, the other repo was ingested. */
function assertRefused (t: Test, lab: Lab, outcome: Outcome, cause: RegExp): void {
  const { amzn } = outcome
  t.equal(amzn.status, 'failed', 'the hostile repo fails')
  t.strictSame([amzn.added, amzn.changed, amzn.unchanged, amzn.withdrawn, amzn.checksum], [0, 0, 0, 0, null], 'and reports no counts')
  t.equal(amzn.error?.startsWith(`amzn repo ${lab.amzn}: `), true, `the error names the product and the repo: ${amzn.error ?? 'null'}`)
  t.match(amzn.error, cause, 'the error names the cause')
  assertOtherIngested(t, outcome.rocky)
  assertIntact(t, lab)
}

/** amzn was read and every advisory in it is the same as in the first good version. */
function assertSameContent (t: Test, lab: Lab, outcome: Outcome, what: string): void {
  t.strictSame([outcome.amzn.status, outcome.amzn.error, outcome.amzn.added, outcome.amzn.changed, outcome.amzn.unchanged, outcome.amzn.withdrawn],
    ['ok', null, 0, 0, 2, 0], `${what}: accepted, both advisories unchanged`)
  assertOtherIngested(t, outcome.rocky)
  assertIntact(t, lab)
}

// --- the CLI in a child process, with its peak RSS ---------------------------------------------

interface CliSummary { repos: Array<{ product: string, url: string, status: string, added: number, changed: number, unchanged: number, withdrawn: number, skipped: number, error: string | null }> }
interface Measured { result: CliResult, summary: CliSummary | null, peakMiB: number, killed: boolean }

/**
 * Runs the ingest CLI on amzn + rocky and polls /proc/<pid>/status VmHWM every 20 ms. A process that
 * passes the memory bound is killed at once (SIGKILL): the case has failed, and waiting for it to
 * reach gigabytes would only slow the suite down.
 */
async function cliIngest (t: Test, lab: Lab, extra: string[] = []): Promise<Measured> {
  republishOther(lab)
  const { result, peakMiB, killed } = await runCliMeasured(t, ['--db', lab.db, '--json', '--repo', lab.amzn, '--product', 'amzn', '--repo', lab.rocky, '--product', 'rocky', ...extra], maxPeakMiB)
  let summary: CliSummary | null = null
  if (!killed) {
    try { summary = JSON.parse(result.stdout) as CliSummary } catch { t.fail(`the CLI printed no JSON summary (exit ${String(result.code)}): ${result.stderr}`) }
  }
  return { result, summary, peakMiB, killed }
}

function assertBoundedMemory (t: Test, name: string, measured: Measured): void {
  t.comment(`${name}: peak RSS of the ingest process ${measured.peakMiB} MiB`)
  t.ok(measured.peakMiB > 20, `the peak RSS was measured (${measured.peakMiB} MiB)`)
  t.ok(measured.peakMiB < maxPeakMiB, measured.killed
    ? `peak RSS stays below ${maxPeakMiB} MiB: it reached ${measured.peakMiB} MiB and the process was killed`
    : `peak RSS ${measured.peakMiB} MiB stays below ${maxPeakMiB} MiB`)
}

function assertCliRefused (t: Test, lab: Lab, measured: Measured, cause: RegExp): void {
  if (measured.killed) {
    t.fail(`no result: the ingest was killed at ${measured.peakMiB} MiB before it could refuse the file`)
    assertIntact(t, lab)
    return
  }
  t.equal(measured.result.code, 1, 'exit status 1: a repo failed')
  const [amzn, rocky] = measured.summary?.repos ?? []
  t.equal(amzn?.status, 'failed', 'the hostile repo fails')
  t.equal(amzn?.error?.startsWith(`amzn repo ${lab.amzn}: `), true, `the error names the product and the repo: ${amzn?.error ?? 'null'}`)
  t.match(amzn?.error, cause, 'the error names the cause')
  if (rocky !== undefined) assertOtherIngested(t, rocky)
  else t.fail('no result for the other repo')
  assertIntact(t, lab)
}

// ---------------------------------------------------------------------------------------------
// XML

t.test('billion laughs (nested entities in a DOCTYPE internal subset): refused, nothing written', async (t) => {
  const lab = await goodLab(t)
  const entities = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)]
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE updates [\n${entities.join('\n')}\n]>\n` +
    amznWith(update('LOL-2024:0001', '<description>&lol9;</description>')).replace(/^<\?xml[^>]*>\s*/, '')
  writeRepo(lab.amzn, xml)
  assertRefused(t, lab, await ingestBoth(lab), /DOCTYPE with an internal subset \(entity declarations\) is not accepted/)
  t.notMatch(databaseBytes(lab.db).toString('latin1'), 'lollollol', 'no expansion reached the database')
})

t.test('external entity file:///etc/passwd: refused; a SYSTEM DOCTYPE is not fetched; /etc/passwd never reaches the database', async (t) => {
  const lab = await goodLab(t)
  const body = amznText.replace(/^<\?xml[^>]*>\s*/, '')
  await t.test('<!ENTITY x SYSTEM "file:///etc/passwd"> used in a description: refused', async (t) => {
    writeRepo(lab.amzn, '<?xml version="1.0"?>\n<!DOCTYPE updates [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' +
      body.replace('</updates>', `${update('XXE-2024:0001', '<description>&x;</description>')}</updates>`))
    assertRefused(t, lab, await ingestBoth(lab), /DOCTYPE with an internal subset/)
  })
  // docs/ingest.md refuses only a DOCTYPE with an internal subset; an external DTD is never read.
  await t.test('<!DOCTYPE updates SYSTEM "file:///etc/passwd"> without a subset: accepted, the DTD is not read', async (t) => {
    writeRepo(lab.amzn, `<?xml version="1.0"?>\n<!DOCTYPE updates SYSTEM "file:///etc/passwd">\n${body}`)
    assertSameContent(t, lab, await ingestBoth(lab), 'SYSTEM DOCTYPE')
  })
  await t.test('an entity from the external DTD used anyway: refused as undefined', async (t) => {
    writeRepo(lab.amzn, '<?xml version="1.0"?>\n<!DOCTYPE updates SYSTEM "file:///etc/passwd">\n' +
      body.replace('</updates>', `${update('XXE-2024:0002', '<description>&x;</description>')}</updates>`))
    assertRefused(t, lab, await ingestBoth(lab), /^amzn repo .*: invalid XML: \d+:\d+: undefined entity/)
  })
  t.equal(databaseBytes(lab.db).includes(passwdFirstLine), false, `the first line of /etc/passwd (${passwdFirstLine}) is nowhere in the database files`)
})

t.test('a DOCTYPE with an internal subset (no entities): refused', async (t) => {
  const lab = await goodLab(t)
  for (const doctype of ['<!DOCTYPE updates [<!ELEMENT updates ANY>]>', '<!DOCTYPE updates [ ]>']) {
    writeRepo(lab.amzn, amznText.replace(/^(<\?xml[^>]*>)/, `$1\n${doctype}`))
    assertRefused(t, lab, await ingestBoth(lab), /DOCTYPE with an internal subset/)
  }
})

// docs/ingest.md: documents deeper than 256 levels are refused, as libxml2 (yum, createrepo_c) refuses
// them (the boundary itself: test/ingest-store-edges.test.ts). 100,000 levels inside an <update> are
// refused at level 257, in bounded memory.
t.test('100,000-deep nesting inside <update>: refused at the 256-level depth limit, no crash, memory bounded (CLI)', async (t) => {
  const lab = await goodLab(t)
  const depth = 100_000
  const deep = `<nest>${'<n a="1">'.repeat(depth)}deep${'</n>'.repeat(depth)}</nest>`
  writeRepo(lab.amzn, amznText.replace('</id>', `</id>${deep}`))
  const measured = await cliIngest(t, lab)
  assertBoundedMemory(t, '100,000-deep nesting', measured)
  assertCliRefused(t, lab, measured, /: advisory ALAS2-2018-942 \(the <update> at line \d+\): elements nest deeper than 256 levels \(<n>\), the depth limit libxml2 also applies \(line \d+\); the file is refused$/)

  // Unclosed, the same depth is refused the same way: not a stack overflow.
  writeRepo(lab.amzn, amznText.replace(/<\/updates>\s*$/, `<nest>${'<n>'.repeat(depth)}`))
  assertRefused(t, lab, await ingestBoth(lab), /: elements nest deeper than 256 levels \(<n>\), the depth limit libxml2 also applies \(line \d+\); the file is refused$/)
})

// The 4 Mi-character description limit (docs/ingest.md) now comes before the 64 Mi text-run limit.
t.test('one 200 MB text node in <description>: refused past the 4 Mi-character description limit, memory bounded (CLI, defaults)', async (t) => {
  const lab = await goodLab(t)
  const mib = Buffer.alloc(1024 * 1024, 'A')
  const head = Buffer.from(amznWith('<update type="security"><id>HUGE-2024:0001</id><title>huge</title><description>').replace(/<\/updates>\s*$/, ''))
  function * chunks (): Generator<Buffer> {
    yield head
    for (let i = 0; i < 200; i++) yield mib
    yield Buffer.from('</description></update></updates>\n')
  }
  await writeStreamedRepo(lab.amzn, 'repodata/updateinfo.xml', chunks())
  const measured = await cliIngest(t, lab)
  assertBoundedMemory(t, '200 MB text node', measured)
  assertCliRefused(t, lab, measured, /: advisory HUGE-2024:0001 \(the <update> at line \d+\): the text of <description> passes the 4194304-character limit for a description/)
})

// The same attack, with the text cut so that no single run of characters is long: docs/ingest.md
// promises that "a 200 MB text node cannot exhaust memory" and that memory holds one <update> at a
// time. A CDATA section is a text node; a field cut by child elements is still one field, all of it
// kept in memory. So the text limit must apply to what is kept. Run in-process with a 1 Mi-character
// limit and 8 MiB of text to stay fast; through the CLI with 200 MB (measured while writing these
// tests) the ingest accepted both files and its peak RSS passed 1.3 GiB.
const smallTextRun = 1024 * 1024

t.test('an 8 MiB CDATA section with "<" inside (text limit 1 Mi characters): refused like a text node', async (t) => {
  const lab = await goodLab(t)
  const text = `${'A'.repeat(smallTextRun / 4)}<`.repeat(32) // no run of characters is near the limit
  writeRepo(lab.amzn, amznWith(update('HUGE-2024:0002', `<description><![CDATA[${text}]]></description>`)))
  assertRefused(t, lab, await ingestBoth(lab, { limits: { maxTextRun: smallTextRun } }), new RegExp(`longer than ${smallTextRun} characters`))
})

t.test('an 8 MiB description cut by <b/> every 256 KiB (text limit 1 Mi characters): refused, not kept whole', async (t) => {
  const lab = await goodLab(t)
  const text = `${'A'.repeat(smallTextRun / 4)}<b/>`.repeat(32)
  writeRepo(lab.amzn, amznWith(update('HUGE-2024:0003', `<description>${text}</description>`)))
  assertRefused(t, lab, await ingestBoth(lab, { limits: { maxTextRun: smallTextRun } }), new RegExp(`longer than ${smallTextRun} characters`))
})

t.test('invalid UTF-8 (overlong, encoded surrogate, stray continuation, cut inside a character): refused', async (t) => {
  const lab = await goodLab(t)
  const inTitle = (bytes: number[]): Buffer => Buffer.concat([Buffer.from(amznText.slice(0, amznText.indexOf('</title>'))), Buffer.from(bytes), Buffer.from(amznText.slice(amznText.indexOf('</title>')))])
  const cases: Array<[string, Buffer, RegExp]> = [
    ['overlong "/" (C0 AF)', inTitle([0xc0, 0xaf]), /: invalid UTF-8 in the bytes after offset \d+$/],
    ['UTF-8-encoded surrogate (ED A0 80)', inTitle([0xed, 0xa0, 0x80]), /: invalid UTF-8 in the bytes after offset \d+$/],
    ['stray continuation byte (80)', inTitle([0x80]), /: invalid UTF-8 in the bytes after offset \d+$/],
    ['code point above U+10FFFF (F4 90 80 80)', inTitle([0xf4, 0x90, 0x80, 0x80]), /: invalid UTF-8 in the bytes after offset \d+$/],
    ['the file ends inside a character (E6 BC)', Buffer.concat([amznXml, Buffer.from([0xe6, 0xbc])]), /: invalid UTF-8: the file ends inside a character$/]
  ]
  for (const [name, bytes, cause] of cases) {
    t.test(name, async (t) => {
      writeRepo(lab.amzn, bytes, { stored: bytes, href: 'repodata/updateinfo.xml' })
      assertRefused(t, lab, await ingestBoth(lab), cause)
    })
  }
})

t.test('UTF-16 with a BOM (LE, and BE): accepted, the same rows as the UTF-8 original', async (t) => {
  const lab = await goodLab(t)
  const text = amznText.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="UTF-16"?>')
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  const be = Buffer.from(le).swap16()
  t.strictSame([...be.subarray(0, 2)], [0xfe, 0xff], 'the BE copy starts with FE FF')
  for (const [name, bytes] of [['UTF-16LE', le], ['UTF-16BE', be]] as const) {
    writeRepo(lab.amzn, bytes)
    assertSameContent(t, lab, await ingestBoth(lab), name)
  }
})

t.test('NUL bytes: refused', async (t) => {
  const lab = await goodLab(t)
  const cases: Array<[string, string]> = [['in a title', amznText.replace('</title>', '\u0000</title>')], ['between elements', amznText.replace('</update>', '</update>\u0000')]]
  for (const [where, xml] of cases) {
    t.test(where, async (t) => {
      writeRepo(lab.amzn, xml)
      assertRefused(t, lab, await ingestBoth(lab), /invalid XML: \d+:\d+: disallowed character/)
    })
  }
})

t.test('CRLF (and bare CR) line endings: accepted, the same rows as LF', async (t) => {
  const lab = await goodLab(t)
  t.ok(amznText.includes('\n') && !amznText.includes('\r'), 'the original has LF line endings')
  writeRepo(lab.amzn, amznText.replace(/\n/g, '\r\n'))
  assertSameContent(t, lab, await ingestBoth(lab), 'CRLF')
  // XML 1.0 §2.11: a bare CR is a line end too.
  writeRepo(lab.amzn, amznText.replace(/\n/g, '\r'))
  assertSameContent(t, lab, await ingestBoth(lab), 'CR')
})

t.test('an <updates> that never closes: refused, nothing written (not even its complete <update>s)', async (t) => {
  const lab = await goodLab(t)
  writeRepo(lab.amzn, amznWith(update('OPEN-2024:0001')).replace(/<\/updates>\s*$/, '\n'))
  const outcome = await ingestBoth(lab)
  assertRefused(t, lab, outcome, /invalid XML: \d+:\d+: unclosed tag: updates/)
  t.strictSame(readRows(lab.db, "SELECT id FROM advisory WHERE id = 'OPEN-2024:0001'"), [], 'the complete <update> before the end was rolled back')
})

// ---------------------------------------------------------------------------------------------
// Compression

// A few MB of gzip for gigabytes of XML: one 16 MiB block of skipped <pad> elements is compressed once
// and its gzip member repeated (gzip allows concatenated members), which is much faster to build
// than compressing gigabytes. Whitespace between tags keeps text runs short: the byte limit must act.
t.test('a gzip bomb (3 MB expanding to 2 GiB, limit 64M): refused at the limit, memory bounded (CLI)', async (t) => {
  const lab = await goodLab(t)
  const unit = Buffer.from(`<pad>${' '.repeat(4096)}</pad>\n`)
  const block = Buffer.concat(Array<Buffer>(Math.ceil(16 * 1024 * 1024 / unit.length)).fill(unit))
  const member = gzipSync(block, { level: 9 })
  const repeats = 128
  function * chunks (): Generator<Buffer> {
    yield gzipSync(amznText.replace(/<\/updates>\s*$/, ''))
    for (let i = 0; i < repeats; i++) yield member
    yield gzipSync('</updates>\n')
  }
  await writeStreamedRepo(lab.amzn, 'repodata/updateinfo.xml.gz', chunks())
  t.comment(`bomb: ${Math.round(member.length * repeats / 1024)} KiB of gzip for ${Math.round(block.length * repeats / 1024 ** 3 * 10) / 10} GiB of XML`)
  const measured = await cliIngest(t, lab, ['--max-decompressed-size', '64M'])
  assertBoundedMemory(t, 'gzip bomb', measured)
  assertCliRefused(t, lab, measured, /the decompressed updateinfo passes the 67108864-byte limit \(a decompression bomb/)
})

// docs/ingest.md: a broken file is refused and "the error names ... the cause". Bytes after the gzip
// stream make it an invalid gzip file (RFC 1952: a file is a series of members), so it is refused;
// the message must say what is wrong (trailing data), not "corrupt or truncated".
t.test('trailing garbage after the gzip stream: refused, and the error says so', async (t) => {
  const lab = await goodLab(t)
  const v2 = amznWith(update('TAIL-2024:0001'))
  writeRepo(lab.amzn, v2, { stored: Buffer.concat([gzipSync(v2), Buffer.from('TRAILING GARBAGE AFTER THE GZIP STREAM\n')]) })
  assertRefused(t, lab, await ingestBoth(lab), /trailing/i)
})

// docs/ingest.md: "A file whose name claims one compression and whose bytes are another (or none) is
// refused." (A .gz that is plain XML: test/negative-fixtures.test.ts.)
t.test('a .gz that is really xz, and a .xml that is really gzip: refused by the name/content rule', async (t) => {
  const lab = await goodLab(t)
  t.test('.gz holding xz', async (t) => {
    writeRepo(lab.amzn, rockyXml, { stored: fixture('compression', 'rocky_happy_updateinfo.xml.xz'), href: 'repodata/updateinfo.xml.gz' })
    const url = pathToFileURL(join(lab.amzn, 'repodata', 'updateinfo.xml.gz')).href
    assertRefused(t, lab, await ingestBoth(lab), new RegExp(`: ${url} is not compressed as its name claims: the name says gzip, the content is xz$`))
  })
  t.test('.xml holding gzip', async (t) => {
    // Level 1: other bytes than the first good version's gzip, so that the unchanged shortcut does not apply.
    writeRepo(lab.amzn, amznXml, { stored: gzipSync(amznXml, { level: 1 }), href: 'repodata/updateinfo.xml' })
    const url = pathToFileURL(join(lab.amzn, 'repodata', 'updateinfo.xml')).href
    assertRefused(t, lab, await ingestBoth(lab), new RegExp(`: ${url} is not compressed as its name claims: the name says uncompressed, the content is gzip$`))
  })
})

// ---------------------------------------------------------------------------------------------
// repomd.xml

t.test('file repo: locations leaving the repo root (../../etc/passwd, file:///etc/passwd, xml:base) are refused', async (t) => {
  const lab = await goodLab(t)
  const cases: Array<[string, { href: string, xmlBase?: string }]> = [
    ['href="../../etc/passwd"', { href: '../../etc/passwd' }],
    ['href="repodata/../../../../../../../../etc/passwd"', { href: 'repodata/../../../../../../../../etc/passwd' }],
    ['href="file:///etc/passwd"', { href: 'file:///etc/passwd' }],
    ['xml:base="file:///etc/" href="passwd"', { href: 'passwd', xmlBase: 'file:///etc/' }]
  ]
  for (const [name, entry] of cases) {
    await t.test(name, async (t) => {
      writeRepomd(lab.amzn, entry)
      assertRefused(t, lab, await ingestBoth(lab), new RegExp(`: repomd\\.xml: the updateinfo location "${entry.href.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" escapes the repo root$`))
    })
  }
  t.equal(databaseBytes(lab.db).includes(passwdFirstLine), false, '/etc/passwd was not read into the database')
})

t.test('http repo: an updateinfo on a host not in allowedHosts is refused; listed, it is fetched', async (t) => {
  // The repo is http://127.0.0.1:PORT/amzn/; the hostile repomd.xml names http://localhost:PORT/...:
  // the same server (localhost is 127.0.0.1 in /etc/hosts), but another host name, so only the
  // allow-list decides.
  const server = await startServer(t, { root: tempDir(t) })
  const port = server.port
  const amznRoot = join(server.root, 'amzn')
  writeRepo(amznRoot, amznXml)
  const lab = await goodLab(t, server.url('/amzn/'))
  const requests = (): string[] => server.log.map((r) => `${r.headers.host ?? ''} ${r.path}`)

  const v2 = amznWith(update('HOST-2024:0001'))
  const otherHost = `http://localhost:${port}/amzn/`
  const cases: Array<[string, { href: string, xmlBase?: string }]> = [
    ['absolute href', { href: `${otherHost}repodata/updateinfo.xml.gz` }],
    ['xml:base', { href: 'repodata/updateinfo.xml.gz', xmlBase: otherHost }]
  ]
  for (const [name, entry] of cases) {
    t.test(`${name} to localhost:${port}, allowedHosts []: refused, not fetched`, async (t) => {
      const built = writeRepo(amznRoot, v2)
      writeRepomd(amznRoot, { ...entry, checksum: built.checksum })
      server.clearLog()
      assertRefused(t, lab, await ingestBoth(lab), new RegExp(`: repomd\\.xml: the updateinfo location points to host localhost:${port}, which is not this repo's and not in allowedHosts$`))
      t.strictSame(requests(), [`127.0.0.1:${port} /amzn/repodata/repomd.xml`], 'only repomd.xml was requested')
    })
  }
  t.test('absolute href, allowedHosts ["localhost"]: fetched from localhost and ingested', async (t) => {
    const built = writeRepo(amznRoot, v2)
    writeRepomd(amznRoot, { href: `${otherHost}repodata/updateinfo.xml.gz`, checksum: built.checksum })
    server.clearLog()
    const { amzn, rocky } = await ingestBoth(lab, { allowedHosts: ['localhost'] })
    t.strictSame([amzn.status, amzn.error, amzn.added, amzn.unchanged], ['ok', null, 1, 2])
    assertOtherIngested(t, rocky)
    t.strictSame(requests(), [`127.0.0.1:${port} /amzn/repodata/repomd.xml`, `localhost:${port} /amzn/repodata/updateinfo.xml.gz`], 'the updateinfo came from localhost')
    t.strictSame(readRows(lab.db, "SELECT id FROM advisory WHERE product_id = 'amzn' ORDER BY id").map((r) => r.id), [...amznIds, 'HOST-2024:0001'])
    t.strictSame(integrity(lab.db), [{ integrity_check: 'ok' }])
  })
})

t.test('a checksum of an unknown type (sha999): refused with a clear message', async (t) => {
  const lab = await goodLab(t)
  writeRepo(lab.amzn, amznWith(update('SUM-2024:0001')))
  const repomd = join(lab.amzn, 'repodata', 'repomd.xml')
  writeFileSync(repomd, readFileSync(repomd, 'utf8').replace('<checksum type="sha256">', '<checksum type="sha999">'))
  assertRefused(t, lab, await ingestBoth(lab), /: unsupported checksum type "sha999" \(known: sha256, sha512, sha384, sha224, sha1, sha, md5\)$/)
})

// ---------------------------------------------------------------------------------------------
// Content

t.test('the same advisory id twice with different content: the first is kept, a warning, deterministic', async (t) => {
  const lab = await goodLab(t)
  const impostor = update(amznIds[0]!, '<description>IMPOSTOR</description>').replace('Important: ', 'IMPOSTOR ')
  const xml = amznWith(impostor)
  const line = xml.slice(0, xml.indexOf('IMPOSTOR')).split('\n').length
  for (const run of [1, 2]) {
    // The second run publishes the same content as other bytes, so that it is parsed again.
    writeRepo(lab.amzn, xml, run === 1 ? {} : { stored: gzipSync(xml, { level: 1 }) })
    const outcome = await ingestBoth(lab)
    t.strictSame([outcome.amzn.status, outcome.amzn.added, outcome.amzn.changed, outcome.amzn.unchanged, outcome.amzn.skipped, outcome.amzn.warnings],
      ['ok', 0, 0, 2, 1, 1], `run ${run}: the later duplicate is skipped and counted`)
    t.match(outcome.warnings, [`amzn ${pathToFileURL(lab.amzn).href}/: ${amznIds[0]!} appears more than once; the first occurrence is kept (line ${line})`], `run ${run}: the warning`)
    assertOtherIngested(t, outcome.rocky)
    assertIntact(t, lab)
  }
  t.strictSame(readRows(lab.db, 'SELECT count(*) AS n FROM advisory WHERE title LIKE ? OR description LIKE ?', '%IMPOSTOR%', '%IMPOSTOR%'), [{ n: 0 }])
})

t.test('ids and package names with "/", "..", "%2F", spaces, quotes, <script> and non-ASCII: stored exactly, served escaped', async (t) => {
  const lab = await goodLab(t)
  const odd = ['ODD/2024:0001', '../../etc/passwd', 'ODD%2F2024%2F0003', 'ODD 2024 0004', 'ODD "double" \'single\' 0005',
    '<script>alert(1)</script>', 'ODD-é-漢字-0007', 'ODD/../../0008']
  const pkgName = (id: string): string => `pkg ${id}`
  const packages = (id: string): string => `<pkglist><collection short="odd"><name>odd</name><package name="${escapeXml(pkgName(id))}" epoch="0" version="1.0" release="1" arch="x86_64">` +
    `<filename>${escapeXml(pkgName(id))}.rpm</filename></package></collection></pkglist>`
  writeRepo(lab.amzn, amznWith(odd.map((id) => update(id, packages(id))).join('\n')))
  const outcome = await ingestBoth(lab)
  t.strictSame([outcome.amzn.status, outcome.amzn.error, outcome.amzn.added, outcome.amzn.unchanged], ['ok', null, odd.length, 2])
  assertOtherIngested(t, outcome.rocky)
  t.strictSame(integrity(lab.db), [{ integrity_check: 'ok' }])

  const stored = readRows<{ id: string, name: string }>(lab.db, `SELECT a.id, p.name FROM advisory a JOIN advisory_package p ON p.advisory_pk = a.pk
    WHERE a.product_id = 'amzn' AND a.id NOT LIKE 'ALAS%' ORDER BY a.pk`)
  t.strictSame(stored, odd.map((id) => ({ id, name: pkgName(id) })), 'ids and package names stored exactly as given')

  const app = await buildApp({ dbPath: lab.db })
  t.teardown(async () => { await app.close() })
  for (const id of odd) {
    const page = await app.inject({ method: 'GET', url: `/amzn/${encodeURIComponent(id)}` })
    t.equal(page.statusCode, 200, `page of ${id}`)
    t.match(page.body, `${escapeHtml(id)}</h1>`, `${id}: the id, escaped, in the heading`)
    t.match(page.body, escapeHtml(pkgName(id)), `${id}: the package name, escaped`)
    t.notMatch(page.body, '<script>alert', `${id}: no raw <script> from the data`)
    const api = await app.inject({ method: 'GET', url: `/api/v1/advisories/${encodeURIComponent(id)}?product=amzn` })
    t.equal(api.statusCode, 200, `API of ${id}`)
    const json = api.json<{ id: string, product: string, packages: Array<{ name: string }> }>()
    t.strictSame([json.id, json.product, json.packages.map((p) => p.name)], [id, 'amzn', [pkgName(id)]], `${id}: the API returns the exact id and package name`)
  }
})

t.test('a 1 MB description: stored intact', async (t) => {
  const lab = await goodLab(t)
  const lines: string[] = []
  for (let i = 0, size = 0; size < 1024 * 1024; i++) {
    const line = `${String(i).padStart(6, '0')}: a <crafted> "input" & 'quotes' — é 漢字 CVE-2024-${String(10000 + (i % 90000))} in  the   parser`
    lines.push(line)
    size += Buffer.byteLength(line) + 1
  }
  const description = lines.join('\n')
  t.ok(Buffer.byteLength(description) >= 1024 * 1024, `${Buffer.byteLength(description)} bytes`)
  writeRepo(lab.amzn, amznWith(update('BIG-2024:0001', `<description>${escapeXml(description)}</description>`)))
  const outcome = await ingestBoth(lab)
  t.strictSame([outcome.amzn.status, outcome.amzn.error, outcome.amzn.added, outcome.amzn.unchanged], ['ok', null, 1, 2])
  assertOtherIngested(t, outcome.rocky)
  const [row] = readRows<{ description: string, n: number }>(lab.db, "SELECT description, length(description) AS n FROM advisory WHERE id = 'BIG-2024:0001'")
  t.equal(row?.n, description.length, 'the same length in characters')
  t.equal(row?.description === description, true, 'the same text, character for character')
  t.strictSame(integrity(lab.db), [{ integrity_check: 'ok' }])
})

t.test('10,000 packages in one advisory: all stored, the page renders', async (t) => {
  const lab = await goodLab(t)
  const packages = Array.from({ length: 10_000 }, (_, i) =>
    `<package name="many-${i}" epoch="0" version="1.${i}" release="1" arch="${i % 2 === 0 ? 'x86_64' : 'aarch64'}" src="many-1.${i}-1.src.rpm"><filename>many-${i}-1.${i}-1.rpm</filename></package>`)
  writeRepo(lab.amzn, amznWith(update('MANY-2024:0001', `<pkglist><collection short="m"><name>m</name>${packages.join('\n')}</collection></pkglist>`)))
  const outcome = await ingestBoth(lab)
  t.strictSame([outcome.amzn.status, outcome.amzn.error, outcome.amzn.added, outcome.amzn.unchanged], ['ok', null, 1, 2])
  assertOtherIngested(t, outcome.rocky)
  t.strictSame(readRows(lab.db, "SELECT count(*) AS n, count(DISTINCT p.name) AS names FROM advisory_package p JOIN advisory a ON a.pk = p.advisory_pk WHERE a.id = 'MANY-2024:0001'"),
    [{ n: 10_000, names: 10_000 }])
  t.strictSame(integrity(lab.db), [{ integrity_check: 'ok' }])
  const app = await buildApp({ dbPath: lab.db })
  t.teardown(async () => { await app.close() })
  const page = await app.inject({ method: 'GET', url: `/amzn/${encodeURIComponent('MANY-2024:0001')}` })
  t.equal(page.statusCode, 200)
  t.match(page.body, 'many-9999-1.9999-1.aarch64')
})

// ---------------------------------------------------------------------------------------------
// Big inputs over HTTP, and a full disk

// The CLI keeps the default 512 MiB cap (it has no flag for it). test/helpers/http-server.ts answers
// with whole bodies, so this server of its own streams forever.
t.test('an endless updateinfo download: refused at the 512 MiB download cap, memory bounded (CLI)', async (t) => {
  const www = tempDir(t)
  const amznRoot = join(www, 'amzn')
  writeRepo(amznRoot, amznXml)
  let endless = false
  const mib = Buffer.alloc(1024 * 1024, ' ')
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''))
    res.on('error', () => {})
    if (endless && path === '/amzn/repodata/endless-updateinfo.xml.gz') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }) // chunked: no length to refuse early
      const pump = (): void => { while (!res.destroyed && res.write(mib)); }
      res.on('drain', pump)
      pump()
      return
    }
    try {
      const body = readFileSync(join(www, path))
      res.writeHead(200, { 'content-length': String(body.length) })
      res.end(body)
    } catch {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  const lab = await goodLab(t, `http://127.0.0.1:${(server.address() as AddressInfo).port}/amzn/`)
  endless = true
  writeRepomd(amznRoot, { href: 'repodata/endless-updateinfo.xml.gz' })
  const measured = await cliIngest(t, lab)
  assertBoundedMemory(t, 'endless download', measured)
  assertCliRefused(t, lab, measured, /sends more than the 536870912-byte download limit$/)
})

t.test('disk full (SQLITE_FULL on a small tmpfs): refused, the data intact; ingested once space is freed (CLI)', async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'llsc-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt], { stdio: 'pipe' })
  } catch (err) {
    rmSync(mnt, { recursive: true, force: true })
    t.fail(`cannot mount a size-limited tmpfs for the disk-full case (needs root and mount): ${(err as Error).message}`)
    return
  }
  t.teardown(() => {
    try { execFileSync('umount', [mnt], { stdio: 'pipe' }) } catch { execFileSync('umount', ['-l', mnt], { stdio: 'pipe' }) }
    rmSync(mnt, { recursive: true, force: true })
  })
  const dir = tempDir(t)
  const rocky = join(dir, 'rocky')
  const amzn = join(dir, 'amzn')
  writeRepo(rocky, rockyXml)
  writeRepo(amzn, amznXml)
  const db = join(mnt, 'db.sqlite')
  const first = await runIngest({ dbPath: db, repos: [spec('amzn', amzn), spec('rocky', rocky)] })
  t.strictSame(first.repos.map((r) => r.status), ['ok', 'ok'])
  const lab: Lab = { db, amzn, rocky, before: snapshot(db), amznBefore: productRows(db, 'amzn'), republished: 0 }

  // 2,000 advisories of 8 packages need far more than the 1 MiB left free.
  const advisories = 2000
  writeRepo(amzn, updateinfoText({ advisories, packagesPerAdvisory: 8 }))
  const filler = join(mnt, 'filler')
  const free = (): number => { const s = statfsSync(mnt); return s.bavail * s.bsize }
  writeFileSync(filler, Buffer.alloc(free() - 1024 * 1024))
  t.ok(free() <= 1024 * 1024, `${free()} bytes left on the tmpfs`)

  const full = await cliIngest(t, lab)
  assertCliRefused(t, lab, full, /full/i)
  t.strictSame(readRows(db, "SELECT last_status FROM repo WHERE product_id = 'amzn'"), [{ last_status: 'failed' }])

  rmSync(filler)
  const again = await ingestBoth(lab)
  t.strictSame([again.amzn.status, again.amzn.error, again.amzn.added, again.amzn.withdrawn], ['ok', null, advisories, 2], 'with space again, the same file is ingested')
  assertOtherIngested(t, again.rocky)
  t.strictSame(integrity(db), [{ integrity_check: 'ok' }])
  t.strictSame(readRows(db, "SELECT count(*) AS n FROM advisory WHERE product_id = 'amzn' AND withdrawn = 0"), [{ n: advisories }])
})
