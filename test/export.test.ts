// The static export (npm run export): a file for every advisory, CVE and package holding exactly the bytes
// the live app answers, the same database giving the same files, re-exports that write only what changed and
// delete only what they wrote, and a tree that stays whole when the export is killed at random moments.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { setTimeout as sleep } from 'node:timers/promises'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { RepoSpec } from '../ingest/config.js'
import { parseExportArgs } from '../export/args.js'
import { tempPathOf } from '../export/atomic-file.js'
import { filePathOf } from '../export/layout.js'
import { manifestName, readManifest, type FileEntry } from '../export/manifest.js'
import { ExportDirError, runExport, type ExportSummary } from '../export/run.js'
import { notFoundUrl } from '../export/urls.js'
import { spawnCli } from './helpers/cli.js'
import { readRows } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

// The kill test runs the CLI about seven times over the demo: longer than the suite's default per file.
t.setTimeout(240_000)

const publicUrl = 'https://security.example.org'
const host = 'security.example.org'
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

async function exportTo (outDir: string, dbPath: string, extra: { verify?: boolean, publicUrl?: string } = {}): Promise<ExportSummary> {
  return await runExport({ outDir, dbPath, publicUrl: extra.publicUrl ?? publicUrl, cveFeeds: false, verify: extra.verify ?? false, force: false })
}

/** Every file under `dir` (dotfiles too) -> sha256 of its bytes. */
function tree (dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(join(dir, f)).isFile()).sort()
  return new Map(files.map((f) => [f, sha256(readFileSync(join(dir, f)))]))
}

function manifestOf (dir: string): Map<string, FileEntry> {
  return readManifest(dir)!.files
}

/** Files whose manifest entry differs between two manifests (added or changed), without the .gz/.br forms. */
function changedDocuments (before: Map<string, FileEntry>, after: Map<string, FileEntry>): string[] {
  return [...after].filter(([path, e]) => !/\.(gz|br)$/.test(path) && before.get(path)?.sha256 !== e.sha256).map(([path]) => path).sort()
}

/**
 * An incremental export renders only the documents whose keys changed (export/inputs.ts): its tree must be
 * the tree a first export of the same data makes, file for file, or a key misses something a page shows.
 */
async function sameAsFresh (t: Test, out: string, dbPath: string): Promise<void> {
  const fresh = tempDir(t)
  const first = await exportTo(fresh, dbPath)
  // Once more over the incremental tree: nothing to write, and the counts the manifest keeps are a first export's.
  const again = await exportTo(out, dbPath)
  t.match(again, { incremental: true, written: 0, deleted: 0, files: first.files, bytes: first.bytes, documents: first.documents }, 'an incremental export counts the tree a first export writes')
  const bytes = (m: Map<string, FileEntry>): string[] => [...m].map(([path, e]) => `${path} ${e.sha256} ${e.size}`).sort()
  const [incremental, full] = [bytes(manifestOf(out)), bytes(manifestOf(fresh))]
  t.same(incremental.filter((l) => !full.includes(l)), [], 'the incremental export holds nothing a first export would not')
  t.same(full.filter((l) => !incremental.includes(l)), [], 'and everything it would')
  t.same([...tree(out).keys()].filter((f) => !f.startsWith('.') && !f.includes('NOTE.txt') && !f.includes('security.txt')), [...tree(fresh).keys()].filter((f) => !f.startsWith('.')), 'the same files on disk')
}

// --- a lab product whose advisories the tests change ---

interface LabAdvisory { n: number, severity: string, description: string, cve: string, pkg: string, updated?: string }

const labXml = (advisories: LabAdvisory[]): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
${advisories.map((a) => `  <update from="lab@example.com" status="final" type="security" version="1">
    <id>LAB-2030:000${a.n}</id>
    <title>${a.severity}: ${a.pkg} security update</title>
    <issued date="2030-01-0${a.n} 10:00:00"/>
    ${a.updated === undefined ? '' : `<updated date="${a.updated}"/>`}
    <severity>${a.severity}</severity>
    <description>${a.description}</description>
    <references><reference href="https://www.cve.org/CVERecord?id=${a.cve}" id="${a.cve}" type="cve"/></references>
    <pkglist><collection short="lab"><package name="${a.pkg}" epoch="0" version="1.${a.n}" release="1.lab" arch="x86_64" src="${a.pkg}-1.${a.n}-1.lab.src.rpm"/></collection></pkglist>
  </update>`).join('\n')}
</updates>
`

const labV1: LabAdvisory[] = [
  { n: 1, severity: 'Important', description: 'The first lab flaw.', cve: 'CVE-2030-1001', pkg: 'labtool' },
  { n: 2, severity: 'Low', description: 'The second lab flaw.', cve: 'CVE-2030-1002', pkg: 'labcurl' },
  { n: 3, severity: 'Moderate', description: 'The third lab flaw.', cve: 'CVE-2030-1003', pkg: 'labzip' }
]

const labV2 = labV1.map((a) => a.n === 2 ? { ...a, severity: 'Critical', description: 'The second lab flaw, worse than thought.', updated: '2030-02-01 00:00:00' } : a)

function labRepo (dir: string, advisories: LabAdvisory[]): RepoSpec {
  const root = join(dir, 'lab-repo')
  writeRepo(root, labXml(advisories))
  return { productId: 'lab', productName: 'Lab', url: root, kind: 'baseurl', baseurls: [root], name: 'lab', allowedHosts: [] }
}

// The demo database and its exports, made once for the tests that read them (removed when the file ends).
let demoDb: Promise<string> | null = null
const demoExports = new Map<string, Promise<{ dir: string, summary: ExportSummary }>>()

async function demoDatabase (): Promise<string> {
  demoDb ??= (async () => {
    const { dbPath } = testDb(t)
    await ingestOk(t, dbPath, demoRepos())
    return dbPath
  })()
  return await demoDb
}

async function demoExportRun (url: string): Promise<{ dir: string, summary: ExportSummary }> {
  let run = demoExports.get(url)
  if (run === undefined) {
    run = (async () => {
      const dir = tempDir(t)
      return { dir, summary: await exportTo(dir, await demoDatabase(), { publicUrl: url }) }
    })()
    demoExports.set(url, run)
  }
  return await run
}

const demoExport = async (url: string): Promise<string> => (await demoExportRun(url)).dir

t.test('the demo: a file for every advisory, CVE and package, the bytes the app answers, the same files twice', async (t) => {
  const dbPath = await demoDatabase()
  const { dir: out1, summary: first } = await demoExportRun(publicUrl)
  const out2 = tempDir(t)
  const second = await exportTo(out2, dbPath)

  const advisories = readRows<{ product_id: string, id: string }>(dbPath, 'SELECT product_id, id FROM advisory')
  const cves = readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve').map((r) => r.cve)
  const packages = readRows<{ name: string }>(dbPath, 'SELECT name FROM advisory_package UNION SELECT src_name FROM advisory_package WHERE src_name IS NOT NULL').map((r) => r.name)
  t.ok(advisories.length >= 29 && cves.length >= 30 && packages.length >= 100, `${advisories.length} advisories, ${cves.length} CVEs, ${packages.length} packages`)
  const expected = [
    ...advisories.flatMap((a) => [`${a.product_id}/${a.id}/index.html`, `api/v1/products/${a.product_id}/advisories/${a.id}.json`, `api/v1/products/${a.product_id}/advisories/${a.id}.osv.json`]),
    ...cves.flatMap((c) => [`cve/${c}/index.html`, `api/v1/cves/${c}/index.json`]),
    ...packages.flatMap((p) => [`packages/${p}/index.html`, `api/v1/packages/${p}/index.json`, `feeds/packages/${p}.rss`, `feeds/packages/${p}.atom`, `feeds/packages/${p}.json`]),
    'index.html', '404.html', 'products/index.html', 'feeds/index.html', 'docs/api/index.html', 'openapi.json', 'api/v1/products/index.json',
    'feeds/advisories.rss', 'feeds/amzn2.atom', 'feeds/severity/critical.json', 'static/style.css', 'robots.txt', 'sitemap.xml', 'sitemaps/pages-1.xml', 'sitemaps/advisories-1.xml', 'sitemaps/cves-1.xml', 'sitemaps/packages-1.xml',
    'api/v1/products/amzn2/advisories/page/1.json', 'api/v1/osv/amzn2/all.ndjson'
  ]
  const files = tree(out1)
  t.same(expected.filter((f) => !files.has(f)), [], `all ${expected.length} expected files are there`)
  t.same(tree(out2), files, `a second export of the same database is byte-identical (${files.size} files, manifest included)`)

  const manifest = manifestOf(out1)
  const listed = [...files.keys()].filter((f) => f !== manifestName)
  t.same([...manifest.keys()].sort(), listed, 'the manifest lists every file the export wrote, and nothing else')
  t.same(listed.filter((f) => manifest.get(f)!.sha256 !== files.get(f)), [], 'each with the sha256 of its bytes')
  t.match(first, { documents: second.documents, files: listed.length, written: listed.length, kept: 0, deleted: 0, skipped: [], passes: 1, settled: true })
  t.equal(first.bytes, [...manifest.values()].reduce((sum, e) => sum + e.size, 0), 'bytes: the sum of the files')

  const app = await testApp(t, { dbPath, publicUrl, dynamicUrl: null, cveFeeds: false }) // as the export renders: no dynamic host
  const sample = ['/', '/amzn2', '/products', '/feeds', '/docs/api', `/${advisories[0]!.product_id}/${encodeURIComponent(advisories[0]!.id)}`,
    `/cve/${cves[0]!}`, `/packages/${encodeURIComponent(packages[0]!)}`, '/feeds/advisories.rss', '/feeds/amzn2.atom', `/feeds/packages/${encodeURIComponent(packages[1]!)}.json`,
    '/feeds/severity/important.rss', '/openapi.json', '/api/v1/products', `/api/v1/cves/${cves[1]!}`, `/api/v1/packages/${encodeURIComponent(packages[2]!)}`, '/static/style.css',
    '/robots.txt', '/sitemap.xml', '/sitemaps/pages-1.xml', '/sitemaps/advisories-1.xml', '/api/v1/products/opensuse11/advisories/page/1.json', '/api/v1/osv/opensuse11/all.ndjson',
    `/api/v1/products/${advisories[1]!.product_id}/advisories/${encodeURIComponent(advisories[1]!.id)}.osv.json`]
  for (const url of sample) {
    const res = await app.inject({ method: 'GET', url, headers: { host } })
    t.equal(res.statusCode, 200, `${url}: 200`)
    const file = filePathOf({ url, status: 200 }, String(res.headers['content-type']))
    const bytes = readFileSync(join(out1, file))
    t.ok(bytes.equals(res.rawPayload), `${file} holds the bytes the app answers for ${url}`)
    if (bytes.length >= 1024) t.ok(gunzipSync(readFileSync(join(out1, `${file}.gz`))).equals(bytes) && brotliDecompressSync(readFileSync(join(out1, `${file}.br`))).equals(bytes), `${file}.gz and .br decompress to it`)
  }
  const missing = await app.inject({ method: 'GET', url: notFoundUrl, headers: { host } })
  t.equal(missing.statusCode, 404)
  t.ok(readFileSync(join(out1, '404.html')).equals(missing.rawPayload), '404.html is the app\'s not-found page')
  t.match(readFileSync(join(out1, 'feeds/advisories.rss'), 'utf8'), `<atom:link href="${publicUrl}/feeds/advisories.rss"`, 'feeds link to the public URL')
})

t.test('re-exports write what changed, keep the rest, delete only what the export wrote', async (t) => {
  const { dir, dbPath } = testDb(t)
  const demo = demoRepos(['alma9', 'rocky8'])
  await ingestOk(t, dbPath, [...demo, labRepo(dir, labV1)])
  const out = tempDir(t)
  await exportTo(out, dbPath)
  mkdirSync(join(out, '.well-known'))
  writeFileSync(join(out, '.well-known', 'security.txt'), 'Contact: mailto:security@example.org\n')
  const manifestBytes = readFileSync(join(out, manifestName))

  await t.test('no change: nothing written, nothing deleted', async (t) => {
    const again = await exportTo(out, dbPath)
    t.match(again, { written: 0, deleted: 0, kept: again.files })
    t.ok(readFileSync(join(out, manifestName)).equals(manifestBytes), 'the manifest is the same bytes')
  })

  await t.test('a file removed or changed by hand is put back by --verify', async (t) => {
    const page = join(out, 'lab', 'LAB-2030:0001', 'index.html')
    const original = readFileSync(page)
    const other = join(out, 'lab', 'LAB-2030:0003', 'index.html')
    writeFileSync(`${other}.gz`, 'junk')
    writeFileSync(page, Buffer.alloc(original.length, 'x')) // same size: only --verify reads it
    // A document whose key holds is kept without reading its files: the manifest is the record of the tree.
    t.match(await exportTo(out, dbPath), { written: 0, deleted: 0 }, 'a plain export does not read what it kept')
    t.match(await exportTo(out, dbPath, { verify: true }), { written: 2, deleted: 0 }, '--verify renders everything and reads the files back')
    t.ok(gunzipSync(readFileSync(`${other}.gz`)).equals(readFileSync(other)))
    t.ok(readFileSync(page).equals(original))
  })

  await t.test('one advisory changes: its documents, lists and feeds are written, the others kept', async (t) => {
    const before = manifestOf(out)
    await ingestOk(t, dbPath, [labRepo(dir, labV2)])
    const summary = await exportTo(out, dbPath)
    // No advisory is Low any more: the severities every page's filters offer changed.
    t.match(summary, { incremental: false, fullBecause: 'the program, the URLs or the vocabulary changed' }, 'a full pass')
    const after = manifestOf(out)
    const changed = changedDocuments(before, after)
    const shows = ['lab/LAB-2030:0002/index.html', 'cve/CVE-2030-1002/index.html', 'api/v1/cves/CVE-2030-1002/index.json', 'packages/labcurl/index.html',
      'api/v1/packages/labcurl/index.json', 'feeds/packages/labcurl.rss', 'index.html', 'lab/index.html', 'feeds/advisories.atom', 'feeds/lab.json',
      'feeds/severity/critical.rss', 'api/v1/products/lab/advisories/LAB-2030:0002.json', 'api/v1/products/lab/advisories/LAB-2030:0002.osv.json',
      'api/v1/products/lab/advisories/page/1.json', 'api/v1/osv/lab/all.ndjson', 'sitemaps/advisories-1.xml']
    t.same(shows.filter((f) => !changed.includes(f)), [], 'the files that show the advisory are rewritten')
    // The statistics count advisories by severity: one moved from Low to Critical.
    const statistics = ['stats/index.html', 'api/v1/stats/index.json', 'api/v1/stats.csv']
    const gone = [...before.keys()].filter((f) => !after.has(f))
    t.same(gone, ['feeds/severity/low.atom', 'feeds/severity/low.json', 'feeds/severity/low.rss'].flatMap((f) => [f, `${f}.br`, `${f}.gz`]),
      'no advisory is Low any more: the Low feeds are deleted, with their .gz and .br')
    const others = [...before.keys()].filter((f) => !/\.(gz|br)$/.test(f) && !f.startsWith('feeds/') &&
      ![...shows, ...statistics, 'products/index.html', 'api/v1/products/index.json'].includes(f) && !/labcurl|1002|LAB-2030:0002/.test(f))
    t.ok(others.length > 30, `${others.length} documents do not show it`)
    t.same(others.filter((f) => changed.includes(f)), [], 'none of them is written')
    const feedsListingIt = ['advisories', 'lab', 'packages/labcurl', 'severity/critical'].flatMap((f) => ['rss', 'atom', 'json'].map((ext) => `feeds/${f}.${ext}`))
    // Besides: the feeds page (no Low feeds any more), and the products page and API, which show each repo's last ingest.
    const expected = [...shows, ...feedsListingIt, ...statistics, 'feeds/index.html', 'products/index.html', 'api/v1/products/index.json'].sort()
    t.same(changed.filter((f) => !/\.(gz|br)$/.test(f)).sort(), [...new Set(expected)], 'exactly those documents are written, and no other (feeds that do not list it are kept)')
    t.equal(summary.written, [...after].filter(([f, e]) => before.get(f)?.sha256 !== e.sha256).length, 'written: the files whose hash changed')
    t.equal(summary.deleted, gone.length)
    t.same(gone.filter((f) => existsSync(join(out, f))), [])
    const app = await testApp(t, { dbPath, publicUrl, dynamicUrl: null, cveFeeds: false }) // as the export renders: no dynamic host
    const page = await app.inject({ method: 'GET', url: '/lab/LAB-2030%3A0002', headers: { host } })
    t.equal(after.get('lab/LAB-2030:0002/index.html')!.sha256, sha256(page.rawPayload), 'the manifest records the new bytes')
    t.match(page.body, 'worse than thought')
    t.ok(readFileSync(join(out, 'lab/LAB-2030:0002/index.html')).equals(page.rawPayload))
    t.match(await exportTo(out, dbPath), { written: 0, deleted: 0 }, 'a second export with no change writes nothing')
    await sameAsFresh(t, out, dbPath)
  })

  await t.test('revised again, severities unchanged: an incremental pass writes exactly the documents that show it', async (t) => {
    const before = manifestOf(out)
    const labV2b = labV2.map((a) => a.n === 2 ? { ...a, description: 'The second lab flaw, worse still.', updated: '2030-02-02 00:00:00' } : a)
    await ingestOk(t, dbPath, [labRepo(dir, labV2b)])
    const summary = await exportTo(out, dbPath)
    t.match(summary, { incremental: true, fullBecause: null, changesFrom: 'log' }, 'an incremental pass: only what changed is looked at, found from the log of changed advisories')
    const after = manifestOf(out)
    const feeds = ['advisories', 'lab', 'packages/labcurl', 'severity/critical'].flatMap((f) => ['rss', 'atom', 'json'].map((ext) => `feeds/${f}.${ext}`))
    // Its CVE's and package's pages and lookups are made again too, and come out the same: they show neither
    // the description nor the updated date.
    const expected = ['lab/LAB-2030:0002/index.html', 'api/v1/products/lab/advisories/LAB-2030:0002.json', 'api/v1/products/lab/advisories/LAB-2030:0002.osv.json',
      'index.html', 'lab/index.html', 'api/v1/products/lab/advisories/page/1.json', 'api/v1/osv/lab/all.ndjson', 'sitemaps/advisories-1.xml',
      ...feeds, 'products/index.html', 'api/v1/products/index.json']
    t.same(changedDocuments(before, after), expected.sort(), 'its page, JSON and OSV record, the lists, feeds, API page and bundle it is on, the sitemap (its date), and the products page and API (the last ingest)')
    t.same([...before.keys()].filter((f) => !after.has(f)), [], 'nothing deleted')
    t.equal(summary.written, [...after].filter(([f, e]) => before.get(f)?.sha256 !== e.sha256).length, 'written: the files whose hash changed')
    t.match(readFileSync(join(out, 'lab/LAB-2030:0002/index.html'), 'utf8'), 'worse still')
    await sameAsFresh(t, out, dbPath)
  })

  await t.test('documents no longer produced are deleted with their .gz and .br; an operator\'s files stay', async (t) => {
    writeFileSync(join(out, 'cve', 'CVE-2030-1003', 'NOTE.txt'), 'kept by the operator\n')
    const before = manifestOf(out)
    // LAB-2030:0001 leaves the repo (withdrawn: its page stays); LAB-2030:0003 now fixes another CVE in another package.
    const labV3 = labV2.filter((a) => a.n !== 1).map((a) => a.n === 3 ? { ...a, cve: 'CVE-2030-1004', pkg: 'labunzip' } : a)
    await ingestOk(t, dbPath, [labRepo(dir, labV3)])
    const summary = await exportTo(out, dbPath)
    t.equal(summary.incremental, true, 'an incremental pass: only what changed is looked at')
    t.equal(summary.changesFrom, 'log', 'withdrawn or changed in place: found from the log')
    const after = manifestOf(out)
    const gone = [...before.keys()].filter((f) => !after.has(f)).sort()
    const base = ['cve/CVE-2030-1003/index.html', 'api/v1/cves/CVE-2030-1003/index.json', 'packages/labzip/index.html', 'api/v1/packages/labzip/index.json',
      'feeds/packages/labzip.rss', 'feeds/packages/labzip.atom', 'feeds/packages/labzip.json']
    t.same(base.filter((f) => !gone.includes(f)), [], 'the CVE and package no advisory names any more are gone from the manifest')
    t.same(gone.filter((f) => !base.some((b) => f === b || f === `${b}.gz` || f === `${b}.br`)), ['rss', 'atom', 'json'].flatMap((ext) => [`feeds/packages/labtool.${ext}.br`, `feeds/packages/labtool.${ext}.gz`]).sort(),
      `and nothing else (${gone.length} files with their .gz/.br) but the compressed forms of labtool's feeds, which list no advisory now and are under 1 KB`)
    t.ok(statSync(join(out, 'feeds/packages/labtool.rss')).size < 1024)
    t.same(gone.filter((f) => existsSync(join(out, f))), [], 'and from the disk')
    t.equal(summary.deleted, gone.length)
    t.notOk(existsSync(join(out, 'packages', 'labzip')), 'a directory left empty goes too')
    t.equal(readFileSync(join(out, 'cve', 'CVE-2030-1003', 'NOTE.txt'), 'utf8'), 'kept by the operator\n', 'a file the manifest does not list stays, and its directory with it')
    t.equal(readFileSync(join(out, '.well-known', 'security.txt'), 'utf8'), 'Contact: mailto:security@example.org\n')
    t.ok(after.has('lab/LAB-2030:0001/index.html') && existsSync(join(out, 'lab/LAB-2030:0001/index.html')), 'a withdrawn advisory keeps its page')
    t.match(readFileSync(join(out, 'lab/LAB-2030:0001/index.html'), 'utf8'), /[Ww]ithdrawn/)
    t.ok(after.has('cve/CVE-2030-1004/index.html') && after.has('packages/labunzip/index.html'))
    await sameAsFresh(t, out, dbPath)
  })

  await t.test('what the log of changed advisories cannot tell is read from every advisory', async (t) => {
    const labV3 = labV2.filter((a) => a.n !== 1).map((a) => a.n === 3 ? { ...a, cve: 'CVE-2030-1004', pkg: 'labunzip' } : a)
    const revise = async (description: string, issued?: string): Promise<void> => {
      const xml = labXml(labV3.map((a) => a.n === 3 ? { ...a, description } : a))
      writeRepo(join(dir, 'lab-repo'), issued === undefined ? xml : xml.replace('<issued date="2030-01-03 10:00:00"/>', `<issued date="${issued}"/>`))
      await ingestOk(t, dbPath, [{ productId: 'lab', productName: 'Lab', url: join(dir, 'lab-repo'), kind: 'baseurl', baseurls: [join(dir, 'lab-repo')], name: 'lab', allowedHosts: [] }])
    }
    const change = (sql: string): void => {
      const db = new Database(dbPath)
      try { db.exec(sql) } finally { db.close() }
    }
    await revise('The third lab flaw, seen again.', '2029-12-01 10:00:00')
    t.match(await exportTo(out, dbPath), { incremental: true, changesFrom: 'all' }, 'an advisory moved in the list order (its issued date)')
    await sameAsFresh(t, out, dbPath)
    await revise('The third lab flaw, once more.', '2029-12-01 10:00:00')
    change('DELETE FROM advisory_log')
    t.match(await exportTo(out, dbPath), { incremental: true, changesFrom: 'all' }, 'the log no longer reaches back to the last export (pruned)')
    await sameAsFresh(t, out, dbPath)
    await revise('The third lab flaw, yet again.', '2029-12-01 10:00:00')
    change("UPDATE meta SET value = 'another database' WHERE key = 'database_id'")
    t.match(await exportTo(out, dbPath), { incremental: true, changesFrom: 'all' }, 'the last export was made from another database')
    await sameAsFresh(t, out, dbPath)
    t.match(readFileSync(join(out, 'lab/LAB-2030:0003/index.html'), 'utf8'), 'yet again')
  })

  await t.test('a new advisory that shares a CVE and a package with another: the incremental tree is a first export\'s', async (t) => {
    // LAB-2030:0004 is new: every list and count moves, and CVE-2030-1002 and labcurl list two advisories.
    const labV4 = [...labV1.filter((a) => a.n !== 1), { n: 4, severity: 'Critical', description: 'A fourth flaw.', cve: 'CVE-2030-1002', pkg: 'labcurl' }]
    await ingestOk(t, dbPath, [labRepo(dir, labV4)])
    const summary = await exportTo(out, dbPath)
    t.match(summary, { incremental: false, fullBecause: 'the program, the URLs or the vocabulary changed' }, 'a full pass: Low is back')
    t.ok(summary.written > 0 && summary.kept > summary.written, `${summary.written} written, ${summary.kept} kept`)
    await sameAsFresh(t, out, dbPath)
  })
})

t.test('list pages, API pages and feeds shift when an advisory moves or goes: the incremental tree is still a first export\'s', async (t) => {
  // 130 advisories: three list pages of 50 and feeds of the newest 100, so a move changes which page and
  // feed holds what, across page boundaries; keys that missed it would leave stale pages behind.
  const { dir, dbPath } = testDb(t)
  const root = join(dir, 'many-repo')
  const repo: RepoSpec = { productId: 'many', productName: 'Many', url: root, kind: 'baseurl', baseurls: [root], name: 'many', allowedHosts: [] }
  const xml = updateinfoText({ advisories: 130, packagesPerAdvisory: 2, idPrefix: 'MANY' })
  writeRepo(root, xml)
  await ingestOk(t, dbPath, [repo])
  const out = tempDir(t)
  await exportTo(out, dbPath)
  t.ok(manifestOf(out).has('many/page/3/index.html'), 'three list pages')

  // MANY-2016-00010 becomes the newest (from page 3 to the top of page 1); MANY-2016-00075 leaves the repo (withdrawn).
  const moved = xml.replace(/(<id>MANY-2016-00010<\/id>[\s\S]*?<issued date=")[^"]*/, '$12030-01-01 00:00')
  const edited = moved.replace(/ {2}<update [^>]*>\s*<id>MANY-2016-00075<\/id>[\s\S]*?<\/update>\n/, '')
  t.not(edited, moved, 'the advisory is taken out')
  writeRepo(root, edited)
  await ingestOk(t, dbPath, [repo])
  const summary = await exportTo(out, dbPath)
  t.equal(summary.incremental, true, 'an incremental pass: only what changed is looked at')
  t.ok(summary.written > 0 && summary.kept > summary.written, `${summary.written} written, ${summary.kept} kept`)
  t.match(readFileSync(join(out, 'many', 'index.html'), 'utf8'), /MANY-2016-00010[\s\S]*MANY-2016-00130/, 'the moved advisory heads page 1')
  await sameAsFresh(t, out, dbPath)
})

t.test('the output directory: a first export needs an empty one and a readable database; one export at a time', async (t) => {
  const { dir, dbPath } = testDb(t)
  await ingestOk(t, dbPath, [labRepo(dir, labV1)])
  const out = tempDir(t)
  writeFileSync(join(out, 'precious.txt'), 'x')
  await t.rejects(exportTo(out, dbPath), new ExportDirError(`${out} is not empty and holds no export manifest (.llsc-export.db): give a new or empty directory, or --force to export into it (files at the export's paths are overwritten, nothing else is touched)`))
  t.same([...tree(out).keys()], ['precious.txt'], 'nothing written')
  const forced = await runExport({ outDir: out, dbPath, publicUrl, cveFeeds: true, verify: false, force: true })
  t.ok(forced.documents > 0 && existsSync(join(out, 'feeds/cve/CVE-2030-1001.rss')), '--force exports into it; --cve-feeds adds the CVE feeds')
  t.ok(existsSync(join(out, 'precious.txt')))
  // What a killed run leaves: its journal (the pid gone), temporary files, a file no later run produces.
  const dead = spawnSync(process.execPath, ['-e', '']).pid
  writeFileSync(join(out, '.llsc-export.running'), `pid ${dead}\n"feeds/lab.rss"\n"orphan/index.html"\n"feeds/la`)
  writeFileSync(tempPathOf(join(out, 'feeds', 'lab.rss')), 'half a feed')
  mkdirSync(join(out, 'orphan'))
  writeFileSync(join(out, 'orphan', 'index.html'), 'written by a killed run')
  const after = await runExport({ outDir: out, dbPath, publicUrl, cveFeeds: true, verify: false, force: false })
  t.match(after, { written: 1, deleted: 1 }, 'the next run rewrites what the killed run may have changed (feeds/lab.rss), deletes what it wrote and no export produces')
  t.same([...tree(out).keys()].filter((f) => f.includes('.llsc-tmp.') || f.startsWith('orphan') || f === '.llsc-export.running'), [], 'its temporary files and journal are gone')
  const fresh = join(dir, 'fresh-out')
  await t.rejects(exportTo(fresh, join(dir, 'missing.sqlite')), { name: 'ExportDatabaseError', message: `database ${join(dir, 'missing.sqlite')} does not exist: run "npm start" or "npm run ingest" first` })
  t.notOk(existsSync(fresh), 'a database that cannot be read is refused before the directory is made')
  writeFileSync(join(out, '.llsc-export.running'), `pid ${process.ppid}\n`)
  await t.rejects(exportTo(out, dbPath), { name: 'ExportLockedError', message: `another export (pid ${process.ppid}) is writing ${out}; if no export is running, remove ${join(out, '.llsc-export.running')}` })
})

t.test('arguments: one line naming the mistake', async (t) => {
  const base = ['--out', 'x', '--public-url', publicUrl]
  t.match(parseExportArgs(base, {}), { outDir: 'x', publicUrl, dbPath: 'data/security-center.db', dynamicUrl: null, cveFeeds: false, json: false })
  t.match(parseExportArgs(['--out', 'x'], { PUBLIC_URL: 'https://a.example/', DB_PATH: 'd.db' }), { publicUrl: 'https://a.example', dbPath: 'd.db' })
  const mistakes: Array<[string[], string]> = [
    [['--public-url', publicUrl], '--out DIR is required: the directory to write the files to'],
    [['--out', 'x'], '--public-url URL (or PUBLIC_URL) is required: feeds and API documents carry absolute links, and they must be the public ones'],
    [['--out', 'x', '--public-url', 'security.example.org'], '--public-url: public URL "security.example.org" is not a URL (for example https://security.example.org)'],
    [['--out', 'x', '--public-url', 'ftp://a.example'], '--public-url: public URL "ftp://a.example" must start with http:// or https://'],
    [['--out', 'x', '--public-url', 'https://a.example/security'], '--public-url: "https://a.example/security" has a path; the pages link from the root (/cve/...), so give the address the site is served at, without a path'],
    [[...base, '--dynamic-url', 'nope'], '--dynamic-url: public URL "nope" is not a URL (for example https://security.example.org)'],
    [[...base, '--bogus'], 'unknown option --bogus'],
    [[...base, 'extra'], 'Unexpected argument \'extra\'. This command does not take positional arguments']
  ]
  for (const [argv, message] of mistakes) t.throws(() => parseExportArgs(argv, {}), { name: 'UsageError', message }, argv.join(' '))

  const cli = spawnCli(t, ['--out', join(tempDir(t), 'out')], { PUBLIC_URL: '' }, 'bin/export.ts')
  const result = await cli.done
  t.equal(result.code, 2)
  t.equal(result.stderr, 'export: --public-url URL (or PUBLIC_URL) is required: feeds and API documents carry absolute links, and they must be the public ones (see npm run export -- --help)\n')
  const help = await spawnCli(t, ['--help'], {}, 'bin/export.ts').done
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: npm run export -- --out DIR --public-url URL/)
})

t.test('killed at random moments, the export leaves whole files, and the next run a tree that matches its manifest', async (t) => {
  // Two exports of the demo that differ in every feed and API document (their links): each run below
  // rewrites hundreds of files, so a kill lands while files are being written, not only at start-up.
  const dbPath = await demoDatabase()
  const urls = [publicUrl, 'https://mirror.example.net']
  const refTrees = [tree(await demoExport(urls[0]!)), tree(await demoExport(urls[1]!))]
  const out = tempDir(t)
  const args = (url: string): string[] => ['--out', out, '--db', dbPath, '--public-url', url, '--json']
  // A whole run, start to end, as the CLI makes it: the kills below fall at random moments inside one.
  const started = performance.now()
  t.equal((await spawnCli(t, args(urls[0]!), {}, 'bin/export.ts').done).code, 0)
  const firstRunMs = performance.now() - started
  writeFileSync(join(out, 'google0123456789abcdef.html'), 'google-site-verification: google0123456789abcdef.html\n')

  const isOurs = (f: string): boolean => f === 'google0123456789abcdef.html' || f === manifestName || f === '.llsc-export.running' || /(^|\/)\.llsc-tmp\.[0-9a-f]{16}$/.test(f)
  let killed = 0
  let runMs = firstRunMs
  // Four kills; a run that finished first (the machine was quicker than the first run) shortens the next delays.
  for (let i = 0; killed < 4 && i < 8; i++) {
    // Towards the export the tree is furthest from, so that every run has hundreds of files to write.
    const now = [...tree(out)]
    const to = now.filter(([f, hash]) => refTrees[0]!.get(f) === hash).length >= now.filter(([f, hash]) => refTrees[1]!.get(f) === hash).length ? 1 : 0
    const started = performance.now()
    const cli = spawnCli(t, args(urls[to]!), {}, 'bin/export.ts')
    const delay = Math.round(runMs * (0.3 + 0.65 * Math.random()))
    await sleep(delay)
    cli.child.kill('SIGKILL')
    const result = await cli.done
    if (result.signal === 'SIGKILL') killed++
    else runMs = Math.min(runMs, performance.now() - started)
    const files = [...tree(out)].filter(([f]) => !isOurs(f))
    const broken = files.filter(([f, hash]) => !refTrees.some((ref) => ref.get(f) === hash)).map(([f]) => f)
    const moved = files.filter(([f, hash]) => refTrees[to]!.get(f) === hash && refTrees[1 - to]!.get(f) !== hash).length
    t.same(broken, [], `run ${i + 1}, killed after ${delay} ms (${result.signal ?? `exit ${String(result.code)}`}, ${moved} files already the new export's): every file holds one export's whole bytes`)
  }
  t.equal(killed, 4, 'four runs were killed before they finished')

  const final = await spawnCli(t, args(urls[1]!), {}, 'bin/export.ts').done
  t.equal(final.code, 0, final.stderr)
  const summary = JSON.parse(final.stdout) as ExportSummary
  t.match(summary, { skipped: [], settled: true })
  const steps = Object.values(summary.steps)
  t.ok(steps.length === 4 && steps.every((s) => s >= 0), 'the summary says where the time went: open, plan, place, finish')
  t.ok(Math.abs(steps.reduce((a, b) => a + b, 0) - summary.seconds) <= 0.15, `and the steps add up to the run's seconds (${JSON.stringify(summary.steps)}, ${summary.seconds} s)`)
  const files = tree(out)
  files.delete('google0123456789abcdef.html')
  // The manifest is a database: its bytes depend on the runs that changed it, its rows are compared below.
  const withoutManifest = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([f]) => f !== manifestName))
  t.same(withoutManifest(files), withoutManifest(refTrees[1]!), 'the next run leaves exactly the tree a fresh export writes, no temporary file left')
  const manifest = manifestOf(out)
  t.same([...manifest].filter(([f, e]) => files.get(f) !== e.sha256).map(([f]) => f), [], 'every file matches the manifest')
  t.same([...files.keys()].filter((f) => f !== manifestName && !manifest.has(f)), [], 'and the manifest lists every file')
  t.equal(readFileSync(join(out, 'google0123456789abcdef.html'), 'utf8'), 'google-site-verification: google0123456789abcdef.html\n', 'an operator\'s file stays')
  t.equal(summary.changesFrom, null, 'the run after the kills was a full pass')
  const again = await spawnCli(t, args(urls[1]!), {}, 'bin/export.ts').done
  t.match(JSON.parse(again.stdout), { written: 0, incremental: true, changesFrom: 'log' }, 'the next one is incremental, and says it found the changes (none) from the log')
})
