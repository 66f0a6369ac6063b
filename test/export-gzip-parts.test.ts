// A large document's .gz made of separately compressed parts (export/gzip-parts.ts): one valid gzip member
// (zlib and gzip(1) both read it back), the same bytes whether its parts were copied from the previous .gz
// or compressed afresh, part boundaries that only move where lines changed, and, in an export, large
// documents (a product's OSV bundle) written with such a .gz and no .br, kept current by incremental passes.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { gunzipSync, gzipSync } from 'node:zlib'
import Database from 'better-sqlite3'
import { GzipFromParts, gzipFromParts, partEnds, type GzipPart } from '../export/gzip-parts.js'
import { runExport, type ExportSummary } from '../export/run.js'
import { tempDir } from './helpers/paths.js'
import { ingestOk, labRepo, testDb } from './helpers/test-app.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

// Five exports of 400 advisories (one a first export), each a few seconds to half a minute on a busy machine.
t.setTimeout(300_000)

/** NDJSON lines shaped like OSV records: an id near the start, a body of varying length. */
function ndjson (n: number, change: (i: number) => string = () => ''): Buffer {
  const lines: string[] = []
  for (let i = 0; i < n; i++) lines.push(`{"schema_version":"1.6.0","id":"LLSA-test-${i}","details":"${'x'.repeat(200 + (i * 37) % 3000)}${change(i)}"}\n`)
  return Buffer.from(lines.join(''))
}

/** gzip(1) reads the file whole and checks its CRC and length. */
function gzipTest (t: Test, bytes: Buffer): void {
  const file = join(tempDir(t), 'x.gz')
  writeFileSync(file, bytes)
  const run = spawnSync('gzip', ['-t', file], { encoding: 'utf8' })
  t.equal(run.status, 0, `gzip -t: ${run.stderr}`)
}

t.test('parts: ends after lines, content-defined, at most 4 MB', async (t) => {
  const body = ndjson(4000)
  const ends = partEnds(body)
  t.ok(ends.length >= 10 && ends.length <= 100, `${ends.length} parts for ${body.length} bytes`)
  t.equal(ends.at(-1), body.length, 'the last part ends with the document')
  t.ok(ends.every((end, i) => end > (ends[i - 1] ?? 0) && body[end - 1] === 10), 'each after a newline, in order')
  const longer = ndjson(4000, (i) => i === 2000 ? ' revised' : '')
  const after2000 = body.indexOf('{"schema_version":"1.6.0","id":"LLSA-test-2001"')
  t.same(partEnds(longer), ends.map((end) => end >= after2000 ? end + ' revised'.length : end), 'a longer line moves no boundary: the ends after it move by its growth')
  t.same(partEnds(Buffer.alloc(0)), [])
  const noLines = Buffer.alloc(9 * 1024 * 1024, 0x61)
  t.same(partEnds(noLines), [4 * 1024 * 1024, 8 * 1024 * 1024, noLines.length], 'without newlines: 4 MB parts')
})

t.test('given in pieces of any size, a document is cut and compressed as when given whole', async (t) => {
  // Lines across pieces, a line longer than a part, and a piece longer than a part.
  const body = Buffer.concat([ndjson(2000), Buffer.alloc(5 * 1024 * 1024, 0x62), Buffer.from('\n'), ndjson(300)])
  const whole = await gzipFromParts(body, null)
  for (const size of [1, 4096, 777_777, 4 * 1024 * 1024 + 3, body.length]) {
    // One byte at a time only over the first 64 KB: enough to cross many lines, quick enough.
    const doc = size === 1 ? body.subarray(0, 65536) : body
    const gzip = new GzipFromParts(null)
    for (let at = 0; at < doc.length; at += size) gzip.push(doc.subarray(at, at + size))
    const made = await gzip.end()
    const expected = size === 1 ? await gzipFromParts(doc, null) : whole
    t.ok(made.bytes.equals(expected.bytes), `pieces of ${size} bytes: the same .gz`)
    t.same(made.parts, expected.parts, 'and the same parts')
  }
})

t.test('one gzip member; copied parts give the bytes compressing afresh gives', async (t) => {
  const body = ndjson(4000)
  const first = await gzipFromParts(body, null)
  t.equal(first.compressed, first.parts.length, 'a first .gz compresses every part')
  t.ok(gunzipSync(first.bytes).equals(body), 'zlib reads it back')
  gzipTest(t, first.bytes)
  t.equal(first.parts.reduce((n, p) => n + p.size, 0), body.length, 'the parts cover the document')

  const revised = ndjson(4000, (i) => i === 1234 ? ' revised' : '')
  const next = await gzipFromParts(revised, { gz: first.bytes, parts: first.parts })
  t.equal(next.compressed, 1, 'one changed line: one part compressed again')
  t.ok(gunzipSync(next.bytes).equals(revised))
  t.ok(next.bytes.equals((await gzipFromParts(revised, null)).bytes), 'the same bytes as compressing every part')
  gzipTest(t, next.bytes)

  const lines = body.toString().split('\n')
  const fewer = Buffer.from([...lines.slice(0, 100), ...lines.slice(101)].join('\n'))
  const more = Buffer.from([...lines.slice(0, 3000), '{"schema_version":"1.6.0","id":"LLSA-test-new","details":"new"}', ...lines.slice(3000)].join('\n'))
  for (const [name, changed] of [['a line gone', fewer], ['a line added', more]] as const) {
    const made = await gzipFromParts(changed, { gz: first.bytes, parts: first.parts })
    t.ok(made.compressed >= 1 && made.compressed <= 2, `${name}: ${made.compressed} part(s) compressed again`)
    t.ok(gunzipSync(made.bytes).equals(changed), `${name}: read back`)
  }

  const bogus: GzipPart[] = first.parts.map((p, i) => i === 0 ? { ...p, offset: first.bytes.length } : p)
  const made = await gzipFromParts(body, { gz: first.bytes, parts: bogus })
  t.ok(made.bytes.equals(first.bytes), 'a part said to lie outside the previous .gz is compressed, not copied')
  t.equal(made.compressed, 1)
  t.ok(gunzipSync((await gzipFromParts(Buffer.alloc(0), null)).bytes).equals(Buffer.alloc(0)), 'an empty document too')
})

t.test('an export writes large documents with a .gz from parts and no .br, and keeps it current', async (t) => {
  const { dbPath } = testDb(t)
  const xml = updateinfoText({ advisories: 400, packagesPerAdvisory: 2, idPrefix: 'BIG' })
  const repo = labRepo(t, { id: 'big', name: 'Big' })
  await ingestOk(t, dbPath, [repo(xml)])
  const largeDocument = 400_000
  const exportTo = async (outDir: string): Promise<ExportSummary> => await runExport({ outDir, dbPath, publicUrl: 'https://security.example.org', cveFeeds: false, verify: false, force: false, largeDocument })
  const out = tempDir(t)
  await exportTo(out)
  const bundle = 'api/v1/osv/big/all.ndjson'
  const partsOf = (dir: string): Array<{ sha256: string, size: number }> => {
    const db = new Database(join(dir, '.llsc-export.db'), { readonly: true })
    try { return db.prepare<[string], { sha256: string, size: number }>('SELECT sha256, size FROM gzip_part WHERE path = ? ORDER BY seq').all(`${bundle}.gz`) } finally { db.close() }
  }
  const check = (dir: string): Buffer => {
    const body = readFileSync(join(dir, bundle))
    t.ok(body.length >= largeDocument, `the bundle is large (${body.length} bytes)`)
    const gz = readFileSync(join(dir, `${bundle}.gz`))
    t.ok(gunzipSync(gz).equals(body), 'its .gz reads back to it')
    gzipTest(t, gz)
    t.notOk(existsSync(join(dir, `${bundle}.br`)), 'and it has no .br')
    const parts = partsOf(dir)
    t.ok(parts.length >= 2, `the manifest records its ${parts.length} parts`)
    t.equal(parts.reduce((n, p) => n + p.size, 0), body.length)
    return gz
  }
  check(out)
  t.ok(existsSync(join(out, 'bench/index.html.br')) || existsSync(join(out, 'index.html.br')), 'smaller documents still have a .br')
  const before = partsOf(out)

  // One advisory revised, re-ingested: the incremental pass makes the bundle's .gz from its parts.
  const id = 'BIG-2016-00200'
  const at = xml.indexOf(`<id>${id}</id>`)
  t.ok(at > 0, `${id} is in the repo`)
  const revised = xml.slice(0, at) + xml.slice(at).replace('<description>', '<description>Revised. ')
  await ingestOk(t, dbPath, [repo(revised)])
  const second = await exportTo(out)
  t.equal(second.incremental, true, 'an incremental pass')
  const gz = check(out)
  const after = partsOf(out)
  const moved = after.filter((p) => !before.some((b) => b.sha256 === p.sha256))
  t.equal(moved.length, 1, 'one part differs from the previous export\'s')
  const fresh = tempDir(t)
  await exportTo(fresh)
  t.ok(readFileSync(join(fresh, `${bundle}.gz`)).equals(gz), 'the .gz is the one a first export of the same data writes')

  // An earlier version's export replaced the .gz (one gzip stream) and its manifest entry, not the parts.
  const whole = gzipSync(readFileSync(join(out, bundle)))
  writeFileSync(join(out, `${bundle}.gz`), whole)
  const manifest = new Database(join(out, '.llsc-export.db'))
  manifest.prepare('UPDATE file SET sha256 = ?, size = ? WHERE path = ?').run(createHash('sha256').update(whole).digest('hex'), whole.length, `${bundle}.gz`)
  manifest.close()
  await ingestOk(t, dbPath, [repo(revised.replace('<description>', '<description>Again. '))])
  await exportTo(out)
  check(out)
  t.ok(partsOf(out).length >= 2, 'its parts, recorded for another .gz, were not copied from that one')

  // The manifest's kept list of advisories damaged: the plan matches the advisories by key instead.
  const kept = new Database(join(out, '.llsc-export.db'))
  t.ok((kept.prepare('SELECT count(*) AS n FROM listed').get() as { n: number }).n > 0, 'the manifest keeps the advisories in list order')
  kept.prepare('UPDATE listed SET advisories = ? WHERE seq = 0').run('not json')
  kept.close()
  await ingestOk(t, dbPath, [repo(revised.slice(0, at) + revised.slice(at).replace('<description>', '<description>Third. '))])
  t.equal((await exportTo(out)).incremental, true, 'still an incremental pass')
  const lines = readFileSync(join(out, bundle), 'utf8').split('\n').filter((l) => l.includes('Third. '))
  t.equal(lines.length, 1, 'and the bundle holds the revised advisory\'s new record')
  t.match(lines[0], id)
  check(out)
})
