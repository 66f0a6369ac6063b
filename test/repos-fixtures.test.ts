// The two whole repos of the fixtures (repodata/repomd.xml + a real compressed updateinfo whose checksum and
// open-checksum match), ingested from a directory path and from a file:// URL; then proof that checksum,
// size, open-checksum and open-size are verified, by ingesting copies with one thing changed.
import t from 'tap'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { sha256 } from './helpers/repo-builder.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const repos = {
  dnf_tests_repos_rpm: {
    href: 'repodata/01471ffc16a1c17750d69143a53b8b3693fba2a31bd3f03ead6176adc9cb9c64-updateinfo.xml.gz',
    checksum: '01471ffc16a1c17750d69143a53b8b3693fba2a31bd3f03ead6176adc9cb9c64',
    openChecksum: '693c12384c3098cd2679e0425856168b22fd6c92e81b03e58772d2e84107a9c4',
    size: 460,
    openSize: 1813,
    ids: ['DNF-2014-1', 'DNF-2014-2', 'DNF-2014-3']
  },
  libdnf_advisories: {
    href: 'repodata/updateinfo.xml.gz',
    checksum: '9d791d16c2adc2d7d4c85b45f2a704edac62a926b09fc20df73207f4190acd49',
    openChecksum: '3cf7df860860ac7a4a8e64a1a2d71c1ec43225dacbfe09a0cff80f28be3825da',
    size: 708,
    openSize: 2414,
    ids: ['FEDORA-2019-0329090518']
  }
}
type RepoName = keyof typeof repos

async function ingest (t: Test, url: string, baseurl = url): Promise<{ db: string, result: RepoResult }> {
  const db = join(tempDir(t), 'db.sqlite')
  const summary = await runIngest({ dbPath: db, repos: [{ productId: 'test', productName: 'Test', url, kind: 'baseurl', baseurls: [baseurl], name: null, allowedHosts: [] }] })
  return { db, result: summary.repos[0]! }
}

/** A writable copy of a fixture repo, with `edit` applied to its repomd.xml text. */
function copyRepo (t: Test, name: RepoName, edit: (repomd: string) => string = (x) => x): string {
  const root = join(tempDir(t), name)
  cpSync(join(fixturesDir, 'repos', name), root, { recursive: true })
  const repomd = join(root, 'repodata', 'repomd.xml')
  writeFileSync(repomd, edit(readFileSync(repomd, 'utf8')))
  return root
}

const count = (db: string, sql: string): unknown => readRows<{ n: number }>(db, sql)[0]?.n

function checkContent (t: Test, name: RepoName, db: string): void {
  t.strictSame(readRows(db, 'SELECT id FROM advisory ORDER BY id').map((r) => r.id), repos[name].ids)
  if (name === 'dnf_tests_repos_rpm') {
    t.strictSame(readRows(db, 'SELECT id, type, issued FROM advisory ORDER BY id'), [
      { id: 'DNF-2014-1', type: 'bugfix', issued: '2014-07-08T17:34:01Z' },
      { id: 'DNF-2014-2', type: 'enhancement', issued: '2014-07-08T17:38:02Z' },
      { id: 'DNF-2014-3', type: 'security', issued: '2014-07-08T17:39:03Z' }
    ])
    t.strictSame(readRows(db, 'SELECT name, epoch, version, release, arch, filename FROM advisory_package ORDER BY advisory_pk'), [
      { name: 'tour', epoch: '0', version: '4', release: '4', arch: 'noarch', filename: 'tour-4-4.noarch.rpm' },
      { name: 'tour', epoch: '0', version: '5', release: '0', arch: 'noarch', filename: 'tour-5-0.noarch.rpm' },
      { name: 'tour', epoch: '0', version: '5', release: '1', arch: 'noarch', filename: 'tour-5-1.noarch.rpm' }
    ])
  } else {
    t.strictSame(readRows(db, 'SELECT type, status, severity, severity_raw, reboot_suggested FROM advisory'), [{ type: 'enhancement', status: 'final', severity: null, severity_raw: 'none', reboot_suggested: 1 }])
    t.strictSame(readRows(db, 'SELECT short FROM advisory_collection ORDER BY seq').map((r) => r.short), ['named collection', 'unreal collection', 'perl collection'])
    t.equal(count(db, 'SELECT count(*) AS n FROM advisory_module'), 4)
    t.strictSame(readRows(db, 'SELECT name, reboot_suggested FROM advisory_package ORDER BY collection_pk, seq').map((r) => `${String(r.name)}:${String(r.reboot_suggested)}`),
      ['test-perl-DBI:1', 'test-perl-DBI-new-collection-override:1', 'test-perl-DBI:1', 'not-present:0'])
  }
}

for (const name of Object.keys(repos) as RepoName[]) {
  const repo = repos[name]
  const root = join(fixturesDir, 'repos', name)
  for (const [form, url] of [['a directory path', root], ['a file:// URL', pathToFileURL(root).href]] as const) {
    t.test(`${name}, baseurl as ${form}`, async (t) => {
      const { db, result } = await ingest(t, url)
      // Both forms are the same repo: stored by its absolute path.
      t.strictSame(result, { product: 'test', url: root, status: 'ok', added: repo.ids.length, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null, checksum: repo.checksum, warnings: 0 })
      checkContent(t, name, db)
      const updateinfoUrl = pathToFileURL(join(root, repo.href)).href
      t.strictSame(readRows(db, 'SELECT url, base_url, updateinfo_url, checksum_type, checksum, last_status, last_error FROM repo'), [{ url: root, base_url: `${pathToFileURL(root).href}/`, updateinfo_url: updateinfoUrl, checksum_type: 'sha256', checksum: repo.checksum, last_status: 'ok', last_error: null }])
      t.strictSame(readRows(db, 'SELECT status, checksum, added, error FROM ingest_log'), [{ status: 'ok', checksum: repo.checksum, added: repo.ids.length, error: null }])
    })
  }
}

t.test('the published files are what repomd.xml says (the fixture itself is consistent)', async (t) => {
  for (const name of Object.keys(repos) as RepoName[]) {
    const bytes = readFileSync(join(fixturesDir, 'repos', name, repos[name].href))
    t.equal(bytes.length, repos[name].size, `${name} size`)
    t.equal(sha256(bytes), repos[name].checksum, `${name} checksum`)
  }
})

t.test('a second run over an unchanged repo is "unchanged" and writes nothing', async (t) => {
  const root = join(fixturesDir, 'repos', 'libdnf_advisories')
  const db = join(tempDir(t), 'db.sqlite')
  const spec = { productId: 'test', productName: 'Test', url: root, kind: 'baseurl' as const, baseurls: [root], name: null, allowedHosts: [] }
  await runIngest({ dbPath: db, repos: [spec] })
  const second = await runIngest({ dbPath: db, repos: [spec] })
  t.strictSame([second.repos[0]?.status, second.repos[0]?.added, second.repos[0]?.checksum], ['unchanged', 0, repos.libdnf_advisories.checksum])
  t.equal(count(db, 'SELECT count(*) AS n FROM advisory'), 1)
})

t.test('checksum verified: one byte of the .gz flipped is refused', async (t) => {
  for (const name of Object.keys(repos) as RepoName[]) {
    const root = copyRepo(t, name)
    const gz = join(root, repos[name].href)
    const bytes = readFileSync(gz)
    bytes[100] = bytes[100]! ^ 0xff
    writeFileSync(gz, bytes)
    const { db, result } = await ingest(t, root)
    t.equal(result.status, 'failed')
    t.equal(result.error, `test repo ${root}: sha256 checksum mismatch for ${pathToFileURL(gz).href}: repomd.xml says ${repos[name].checksum}, the downloaded file differs`)
    t.equal(count(db, 'SELECT count(*) AS n FROM advisory'), 0, 'nothing written')
    t.strictSame(readRows(db, 'SELECT last_status, checksum FROM repo'), [{ last_status: 'failed', checksum: null }])
  }
})

t.test('size verified', async (t) => {
  const { size } = repos.dnf_tests_repos_rpm
  const root = copyRepo(t, 'dnf_tests_repos_rpm', (x) => x.replace(`<size>${size}</size>`, `<size>${size + 1}</size>`))
  const { result } = await ingest(t, root)
  t.equal(result.status, 'failed')
  t.match(result.error, `: size mismatch for ${pathToFileURL(join(root, repos.dnf_tests_repos_rpm.href)).href}: repomd.xml says ${size + 1} bytes, got ${size}`)
})

t.test('open-checksum verified: a decompressed file that is not the one announced is refused', async (t) => {
  const { openChecksum } = repos.libdnf_advisories
  const wrong = sha256('something else')
  const root = copyRepo(t, 'libdnf_advisories', (x) => x.replace(openChecksum, wrong))
  const { db, result } = await ingest(t, root)
  t.equal(result.status, 'failed')
  t.equal(result.error, `test repo ${root}: open-checksum (sha256) mismatch: repomd.xml says ${wrong}, the decompressed file differs`)
  t.equal(count(db, 'SELECT count(*) AS n FROM advisory'), 0, 'the parsed advisory was rolled back')
})

t.test('open-size verified', async (t) => {
  const { openSize } = repos.libdnf_advisories
  const root = copyRepo(t, 'libdnf_advisories', (x) => x.replace(`<open-size>${openSize}</open-size>`, `<open-size>${openSize - 1}</open-size>`))
  const { db, result } = await ingest(t, root)
  t.equal(result.status, 'failed')
  t.equal(result.error, `test repo ${root}: open-size mismatch: repomd.xml says ${openSize - 1} bytes decompressed, got ${openSize}`)
  t.equal(count(db, 'SELECT count(*) AS n FROM advisory'), 0)
})
