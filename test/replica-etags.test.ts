// Replicas agree (issue 15, docs/static-export.md): servers over databases ingested independently from the same
// repos, a server over a copy of one of them and the exported files give the same ETag for the same bytes (their
// MD5), over real HTTP on loopback; a replica answers 304 to another's ETag; an ingest changes the ETag of
// what it changed and of nothing else.
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { runExport } from '../export/run.js'
import type { RepoSpec } from '../ingest/config.js'
import { writeRepo } from './helpers/repo-builder.js'
import { tempDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const publicUrl = 'https://security.example.org'

const update = (id: string, title: string, pkg: string, cve: string): string => `
  <update status="final" type="security" version="1"><id>${id}</id><title>${title}</title>
    <issued date="2024-01-01 00:00:00"/><updated date="2024-01-02 00:00:00"/><severity>Important</severity>
    <references><reference href="https://www.cve.org/CVERecord?id=${cve}" id="${cve}" type="cve"/></references>
    <pkglist><collection short="lab"><package name="${pkg}" version="1.0" release="1" arch="x86_64"/></collection></pkglist>
  </update>`
const labXml = (firstTitle: string): string => `<?xml version="1.0" encoding="UTF-8"?><updates>
  ${update('LAB-1', firstTitle, 'tool', 'CVE-2024-1111')}
  ${update('LAB-2', 'other fix', 'other', 'CVE-2024-2222')}
</updates>`

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

/** A server on loopback; `get` returns the bytes as they came (no decoding), so the ETag can be checked against them. */
async function replica (t: Test, dbPath: string): Promise<{ get: (path: string, headers?: Record<string, string>) => Promise<Answer> }> {
  const app = await testApp(t, { dbPath, publicUrl })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }) })
      res.on('error', reject)
    }).on('error', reject).end()
  })
  return { get }
}

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex')
const etagOf = (res: Answer): string => String(res.headers.etag)

t.test('replicas agree', async (t) => {
  const labRoot = tempDir(t)
  writeRepo(labRoot, labXml('tool fix'))
  const repos: RepoSpec[] = [
    ...demoRepos(['amzn2']),
    { productId: 'lab', productName: 'Lab Linux', url: labRoot, kind: 'baseurl', baseurls: [labRoot], name: 'lab', allowedHosts: [] }
  ]

  // Two replicas that each ingest the same mirrors, over a second apart (their ingest times differ), and a third
  // that holds a copy of the first one's database.
  const a = testDb(t)
  await ingestOk(t, a.dbPath, repos)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const b = testDb(t)
  await ingestOk(t, b.dbPath, repos)
  const copyPath = join(testDb(t).dir, 'copy.sqlite')
  const source = new Database(a.dbPath)
  source.exec(`VACUUM INTO '${copyPath}'`)
  source.close()

  const A = await replica(t, a.dbPath)
  const B = await replica(t, b.dbPath)
  const C = await replica(t, copyPath)

  // Documents whose bytes come from the advisories alone: every replica renders them alike.
  const shared = [
    '/', '/lab', '/lab/LAB-1', '/lab/LAB-2', '/cve/CVE-2024-1111', '/packages/tool',
    '/feeds/advisories.atom', '/feeds/lab.rss', '/feeds/advisories.json',
    '/api/v1/products/lab/advisories/LAB-1.json', '/api/v1/products/lab/advisories/LAB-2.json', '/api/v1/advisories?product=lab',
    '/api/v1/cves/CVE-2024-1111', '/api/v1/packages/tool', '/api/v1/products/lab/advisories/page/1.json',
    '/sitemap.xml', '/robots.txt', '/openapi.json', '/static/style.css'
  ]
  // Documents that show ingest times (the repos' last runs, OSV `modified`): only copies of one database agree.
  const perDatabase = ['/products', '/api/v1/products', '/api/v1/products/lab/advisories/LAB-1.osv.json', '/api/v1/osv/lab/all.ndjson', '/api/v1/osv/all.ndjson']
  const identity = { 'accept-encoding': 'identity' }

  t.test('a replica answers 304 to the ETag another one sent, before it rendered the document itself', async (t) => {
    // B ingested on its own: the documents of the advisories alone. C holds a copy of A's database: every one,
    // the streamed OSV bundles included (hashed in a first pass, then answered).
    for (const [other, paths] of [[B, shared], [C, perDatabase]] as const) {
      for (const path of paths) {
        const first = await A.get(path, identity)
        t.equal(first.status, 200, `${path}: 200`)
        const fresh = await other.get(path, { ...identity, 'if-none-match': etagOf(first) })
        t.equal(fresh.status, 304, `${path}: asked first with A's ETag, the other replica renders, hashes and answers 304`)
        t.equal(fresh.body.length, 0, `${path}: no body`)
        t.equal(etagOf(fresh), etagOf(first), `${path}: the 304 names the same ETag`)
        t.equal(fresh.headers.vary, first.headers.vary, `${path}: and Vary, as the 200 would (${String(first.headers.vary)})`)
      }
    }
  })

  t.test('independent replicas send equal ETags for equal bytes: the MD5 of the bytes received', async (t) => {
    for (const path of shared) {
      const [ra, rb] = [await A.get(path, identity), await B.get(path, identity)]
      t.equal(ra.status, 200, `${path}: 200`)
      t.equal(rb.body.toString(), ra.body.toString(), `${path}: the same bytes from both`)
      t.equal(etagOf(ra), `"${md5(ra.body)}"`, `${path}: the ETag is the quoted hex MD5 of the bytes (a strong validator)`)
      t.equal(etagOf(rb), etagOf(ra), `${path}: the same ETag from both`)
    }
    // Last-Modified is each database's own: when its data last changed here (docs/static-export.md says why).
    const [la, lb] = [(await A.get('/lab/LAB-1', identity)).headers['last-modified'], (await B.get('/lab/LAB-1', identity)).headers['last-modified']]
    t.not(la, lb, `Last-Modified is each replica's change time (${String(la)}, ${String(lb)})`)
    // Ingest times in the bytes make other bytes, hence other ETags; still each one the MD5 of its bytes.
    for (const path of perDatabase) {
      const [ra, rb] = [await A.get(path, identity), await B.get(path, identity)]
      t.not(rb.body.toString(), ra.body.toString(), `${path}: shows each replica's ingest time`)
      t.equal(etagOf(rb), `"${md5(rb.body)}"`, `${path}: B's ETag is the MD5 of B's bytes`)
      t.not(etagOf(rb), etagOf(ra), `${path}: so the ETags differ`)
    }
  })

  t.test('a copy of the database agrees on everything, validators included', async (t) => {
    for (const path of [...shared, ...perDatabase]) {
      const [ra, rc] = [await A.get(path, identity), await C.get(path, identity)]
      t.equal(etagOf(rc), etagOf(ra), `${path}: the same ETag`)
      t.equal(etagOf(rc), `"${md5(rc.body)}"`, `${path}: the MD5 of the bytes`)
      t.equal(rc.headers['last-modified'], ra.headers['last-modified'], `${path}: the same Last-Modified`)
    }
  })

  t.test('compressed forms carry the same tag, weak; conditional requests compare weakly and If-None-Match wins', async (t) => {
    const path = '/feeds/advisories.atom'
    const plain = await A.get(path, identity)
    const tag = md5(plain.body)
    for (const [encoding, decode] of [['gzip', gunzipSync], ['br', brotliDecompressSync]] as const) {
      const res = await B.get(path, { 'accept-encoding': encoding })
      t.equal(res.headers['content-encoding'], encoding, `${encoding}: compressed`)
      t.equal(md5(decode(res.body)), tag, `${encoding}: the same content`)
      t.equal(etagOf(res), `W/"${tag}"`, `${encoding}: the same tag, weak (same content, not the same bytes)`)
      t.equal((await A.get(path, { 'accept-encoding': encoding, 'if-none-match': `"${tag}"` })).status, 304, `${encoding}: the identity ETag validates the compressed form`)
      t.equal(etagOf(await A.get(path, { 'accept-encoding': encoding, 'if-none-match': `"${tag}"` })), `W/"${tag}"`, `${encoding}: the 304 names the form it stands for`)
    }
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ 'if-none-match': `W/"${tag}"` }, 304, 'a weak tag matches (the weak comparison)'],
      [{ 'if-none-match': `"0123", W/"${tag}", "4567"` }, 304, 'one tag of a list'],
      [{ 'if-none-match': '"0123", "4567"' }, 200, 'none of a list'],
      [{ 'if-none-match': '*' }, 304, '*: any current representation'],
      [{ 'if-none-match': `"${tag.toUpperCase()}"` }, 200, 'tags are compared exactly (case too)'],
      [{ 'if-none-match': '"0123"', 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }, 200, 'If-None-Match wins over If-Modified-Since'],
      [{ 'if-none-match': `"${tag}"`, 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }, 304, 'also when it says current'],
      [{ 'if-modified-since': String(plain.headers['last-modified']) }, 304, 'If-Modified-Since alone: the change time'],
      [{ 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }, 200, 'If-Modified-Since before it']
    ]
    for (const [headers, status, what] of cases) {
      const res = await A.get(path, { ...identity, ...headers })
      t.equal(res.status, status, `${what}: ${status}`)
      t.equal(etagOf(res), `"${tag}"`, `${what}: the ETag`)
    }
  })

  t.test('the exported files hold the bytes the ETags hash: a bucket gives them the same ETag (its MD5)', async (t) => {
    const out = tempDir(t)
    await runExport({ outDir: out, dbPath: a.dbPath, publicUrl, cveFeeds: false, verify: false, force: false })
    const files: Array<[string, string]> = [
      ['/api/v1/products/lab/advisories/LAB-1.json', 'api/v1/products/lab/advisories/LAB-1.json'],
      ['/api/v1/cves/CVE-2024-1111', 'api/v1/cves/CVE-2024-1111/index.json'],
      ['/feeds/advisories.atom', 'feeds/advisories.atom'],
      ['/sitemap.xml', 'sitemap.xml'],
      ['/static/style.css', 'static/style.css']
    ]
    for (const [path, file] of files) {
      const live = await B.get(path, identity)
      t.equal(etagOf(live), `"${md5(readFileSync(join(out, file)))}"`, `${file}: its MD5 is replica B's ETag for ${path}`)
    }
  })

  t.test('an ingest changes the ETag of what it changed, and only of that', async (t) => {
    const affected = ['/lab/LAB-1', '/api/v1/products/lab/advisories/LAB-1.json', '/api/v1/cves/CVE-2024-1111', '/feeds/lab.rss', '/lab']
    const unaffected = ['/lab/LAB-2', '/api/v1/products/lab/advisories/LAB-2.json', '/cve/CVE-2024-2222', '/packages/other', '/amzn2', '/static/style.css']
    const before = new Map<string, string>()
    for (const path of [...affected, ...unaffected]) before.set(path, etagOf(await B.get(path, identity)))

    writeRepo(labRoot, labXml('tool fix, second edition'))
    const run = await ingestOk(t, b.dbPath, repos.slice(-1))
    t.equal(run.repos[0]?.changed, 1, 'B ingested the changed advisory')

    for (const path of affected) {
      const res = await B.get(path, { ...identity, 'if-none-match': before.get(path)! })
      t.equal(res.status, 200, `${path}: the old ETag no longer matches`)
      t.match(res.body.toString(), 'second edition', `${path}: the new title`)
      t.equal(etagOf(res), `"${md5(res.body)}"`, `${path}: the new ETag is the MD5 of the new bytes`)
      t.not(etagOf(res), etagOf(await A.get(path, identity)), `${path}: and differs from A's, which has not ingested yet`)
    }
    for (const path of unaffected) {
      const res = await B.get(path, { ...identity, 'if-none-match': before.get(path)! })
      t.equal(res.status, 304, `${path}: the ETag from before the ingest still matches`)
      t.equal(etagOf(res), before.get(path), `${path}: the same ETag`)
      t.equal(etagOf(await A.get(path, identity)), before.get(path), `${path}: and A's`)
    }
  })
})
