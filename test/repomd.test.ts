// parseRepomd on every repomd fixture (and the two whole repos' repomd.xml): the updateinfo entry exactly,
// or null when the file has none. Expected values are copied from each file's <data type="updateinfo">.
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseRepomd, RepomdError, type Repomd } from '../ingest/repomd.js'
import { runIngest } from '../ingest/run.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { snapshot } from './helpers/db.js'
import { writeRepo } from './helpers/repo-builder.js'

const read = (...path: string[]): string => readFileSync(join(fixturesDir, ...path), 'utf8')
const sha256 = (value: string): { type: string, value: string } => ({ type: 'sha256', value })
const entry = (href: string, checksum: string, openChecksum: string | null, size: number, openSize: number | null, timestamp: string): Repomd['updateinfo'] =>
  ({ href, xmlBase: null, checksum: sha256(checksum), openChecksum: openChecksum === null ? null : sha256(openChecksum), size, openSize, timestamp })

function thrown (fn: () => unknown): unknown {
  try { fn() } catch (err) { return err }
  return undefined
}

const expected: Record<string, Repomd> = {
  // Amazon: fixed name repodata/updateinfo.xml.gz, <database_version> between <timestamp> and <size>.
  'claircore__amazonlinux_real_2019-09__repomd.xml': {
    revision: '1568754421',
    updateinfo: entry('repodata/updateinfo.xml.gz', '9dd3ce045294b530720d13829817254e3cd67ec1ac36f66069238d9d111d3cc0', '3530bd37fdb291b0d5bc92e05fb86bc7403028c0878084626ed11986806865a6', 610596, 6402617, '1568754407')
  },
  // The <data> without a type is ignored; there is no updateinfo entry at all.
  'createrepo_c__missing_type-repomd.xml': { revision: '1334667230', updateinfo: null },
  // No open-checksum / open-size; updateinfo_zck follows and must not be taken.
  'createrepo_c__repo_with_additional_metadata__repomd.xml': {
    revision: '1554795405',
    updateinfo: entry('repodata/88514679cb03d8f51e850ad3639c089f899e83407a2380ef9e62873a8eb1db13-updateinfo_01.xml.gz', '88514679cb03d8f51e850ad3639c089f899e83407a2380ef9e62873a8eb1db13', null, 533, null, '1554795405')
  },
  'vuln-list-update__amazon_repomd_valid.xml': {
    revision: '1569972356',
    updateinfo: entry('repodata/updateinfo.xml.gz', 'e6f569f8ed2246a6b06c0fef7cfd71560df02781327e31c38396ed358d591d48', 'd00ca5a4fa4b40ea884c4510c76194c4b13da46fdf5863bcc81615efd7b1eafa', 146324, 1494519, '1569972326')
  },
  // Rocky 8.4: the revision "8.4" is a string, not a number.
  'vuln-list-update__rocky_happy_repomd.xml': {
    revision: '8.4',
    updateinfo: entry('repodata/updateinfo.xml.gz', 'c14b2249cc128fa8c565d0b79986daffc4e1c0a430c84a3ebccc1a016d59bda1', '3655bacbf1e119d2fd5d27c25acc98a5f8e27ba64d9b86c6b181c20e67b0f7e7', 24366, 184021, '1632172541')
  },
  'vuln-list-update__rocky_no_updateinfo_field_repomd.xml': { revision: '8.4', updateinfo: null },
  // Fedora 43: type="updateinfo" (zst), never the updateinfo_zck entry listed after it.
  'vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_repomd.xml': {
    revision: '1769300455',
    updateinfo: entry('repodata/74f58a91baa4a290e7ab058c6298b46ef49fc5ee990ede14d181340e5d22fca9-updateinfo.xml.zst', '74f58a91baa4a290e7ab058c6298b46ef49fc5ee990ede14d181340e5d22fca9', '65a608b068e45173d3579b1fc8854efc3bc4fd04b0c6274d3a49b025e94142ea', 1533306, 33442814, '1769302218')
  }
}

const repos: Record<string, Repomd> = {
  dnf_tests_repos_rpm: {
    revision: '1404913019',
    updateinfo: entry('repodata/01471ffc16a1c17750d69143a53b8b3693fba2a31bd3f03ead6176adc9cb9c64-updateinfo.xml.gz', '01471ffc16a1c17750d69143a53b8b3693fba2a31bd3f03ead6176adc9cb9c64', '693c12384c3098cd2679e0425856168b22fd6c92e81b03e58772d2e84107a9c4', 460, 1813, '1404913019')
  },
  libdnf_advisories: {
    revision: '1621268151',
    updateinfo: entry('repodata/updateinfo.xml.gz', '9d791d16c2adc2d7d4c85b45f2a704edac62a926b09fc20df73207f4190acd49', '3cf7df860860ac7a4a8e64a1a2d71c1ec43225dacbfe09a0cff80f28be3825da', 708, 2414, '1621268151')
  }
}

t.test('every repomd fixture and repo is listed here', async (t) => {
  t.strictSame(readdirSync(join(fixturesDir, 'repomd')).sort(), [...Object.keys(expected), 'vuls-data-update__amazon_repomd_invalid.xml'].sort(), 'listed here or refused below')
  t.strictSame(readdirSync(join(fixturesDir, 'repos')).sort(), Object.keys(repos).sort())
})

for (const [file, want] of Object.entries(expected)) {
  t.test(`repomd/${file}`, async (t) => {
    t.strictSame(parseRepomd(read('repomd', file)), want)
  })
}

for (const [name, want] of Object.entries(repos)) {
  t.test(`repos/${name}/repodata/repomd.xml`, async (t) => {
    t.strictSame(parseRepomd(read('repos', name, 'repodata', 'repomd.xml')), want)
  })
}

t.test('Amazon: <database_version> on the updateinfo entry does not matter', async (t) => {
  for (const file of ['claircore__amazonlinux_real_2019-09__repomd.xml', 'vuln-list-update__amazon_repomd_valid.xml']) {
    const text = read('repomd', file)
    const without = text.replace(/\s*<database_version>\d+<\/database_version>/g, '')
    t.not(without, text)
    t.strictSame(parseRepomd(without), expected[file])
  }
})

t.test('Fedora 43: updateinfo_zck listed first is still not taken', async (t) => {
  const text = read('repomd', 'vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_repomd.xml')
  const zck = /\s*<data type="updateinfo_zck">[\s\S]*?<\/data>/.exec(text)![0]
  const reordered = text.replace(zck, '').replace('<revision>1769300455</revision>', `<revision>1769300455</revision>${zck}`)
  t.ok(reordered.indexOf('updateinfo_zck') < reordered.indexOf('"updateinfo"'))
  const got = parseRepomd(reordered).updateinfo
  t.equal(got?.href, 'repodata/74f58a91baa4a290e7ab058c6298b46ef49fc5ee990ede14d181340e5d22fca9-updateinfo.xml.zst')
  t.equal(got?.size, 1533306)
})

t.test('createrepo_c missing_type: a <data> without type is ignored, a later updateinfo entry is found', async (t) => {
  const text = read('repomd', 'createrepo_c__missing_type-repomd.xml')
  const withEntry = text.replace('</repomd>', '<data type="updateinfo"><checksum type="SHA256">ABCDEF</checksum><location href="repodata/u.xml.gz"/><size>7</size></data>\n</repomd>')
  t.strictSame(parseRepomd(withEntry).updateinfo, { href: 'repodata/u.xml.gz', xmlBase: null, checksum: { type: 'sha256', value: 'abcdef' }, openChecksum: null, size: 7, openSize: null, timestamp: null }, 'checksum type and value lower-cased')
})

t.test('invalid repomd.xml is refused with RepomdError', async (t) => {
  const truncated = read('repomd', 'claircore__amazonlinux_real_2019-09__repomd.xml').slice(0, 1000)
  t.ok(thrown(() => parseRepomd(truncated)) instanceof RepomdError)
  t.throws(() => parseRepomd(truncated), { message: /^repomd\.xml is not valid XML: .+ \(line \d+, column \d+\)$/ })
  t.throws(() => parseRepomd('<primary/>'), { message: 'repomd.xml has no <repomd> root element' })
  t.throws(() => parseRepomd('<!DOCTYPE repomd [<!ENTITY x "y">]><repomd/>'), { message: 'repomd.xml contains a DOCTYPE or entity declaration, which is not accepted' })
})

t.test('an empty (0-byte) repomd.xml gives a clean message', async (t) => {
  const err = thrown(() => parseRepomd(''))
  t.ok(err instanceof RepomdError)
  t.match((err as Error).message, /^repomd\.xml is not valid XML: Start tag expected\./)
  t.notMatch((err as Error).message, /undefined/, 'the position has no "undefined" in it')
})

t.test('ingest: repos whose repomd.xml has no updateinfo entry publish no advisories', async (t) => {
  const dir = tempDir(t)
  const files = ['vuln-list-update__rocky_no_updateinfo_field_repomd.xml', 'createrepo_c__missing_type-repomd.xml']
  const specs = files.map((file, i) => {
    const root = join(dir, `repo${i}`)
    mkdirSync(join(root, 'repodata'), { recursive: true })
    writeFileSync(join(root, 'repodata', 'repomd.xml'), read('repomd', file))
    return { productId: 'test', productName: 'Test', url: root, kind: 'baseurl' as const, baseurls: [root], name: null, allowedHosts: [] }
  })
  const infos: string[] = []
  const summary = await runIngest({ dbPath: join(dir, 'db.sqlite'), repos: specs, log: { info: (m) => { infos.push(m) }, warn: () => {} } })
  t.strictSame(summary.repos.map((r) => [r.status, r.added, r.error, r.checksum]), files.map(() => ['ok', 0, null, null]))
  t.equal(infos.filter((m) => m.includes('repomd.xml has no updateinfo entry; the repo publishes no advisories')).length, 2)
})

// Despite its name this file is well-formed XML: an empty <repomd>. Read as "no advisories" it would
// withdraw the whole product, so it is refused as a broken repo and the product's data stays.
t.test('an empty <repomd> (vuls-data-update amazon_repomd_invalid) is refused and withdraws nothing', async (t) => {
  const file = 'vuls-data-update__amazon_repomd_invalid.xml'
  t.throws(() => parseRepomd(read('repomd', file)), { message: 'repomd.xml lists no metadata at all (no <data> entries): refusing it as a broken repo' })
  const dir = tempDir(t)
  const root = join(dir, 'repo')
  const dbPath = join(dir, 'db.sqlite')
  const spec = { productId: 'amzn', productName: 'Amazon', url: root, kind: 'baseurl' as const, baseurls: [root], name: null, allowedHosts: [] }
  writeRepo(root, read('updateinfo', 'vuln-list-update__amazon_updateinfo_2_items.xml'))
  t.equal((await runIngest({ dbPath, repos: [spec] })).repos[0]?.added, 2)
  const before = snapshot(dbPath)
  writeFileSync(join(root, 'repodata', 'repomd.xml'), read('repomd', file))
  const result = (await runIngest({ dbPath, repos: [spec] })).repos[0]
  t.equal(result?.status, 'failed')
  t.equal(result?.error, `amzn repo ${root}: repomd.xml lists no metadata at all (no <data> entries): refusing it as a broken repo`)
  t.equal(snapshot(dbPath), before, 'nothing withdrawn, nothing written')
})

t.test('ingest: a type="updateinfo" location that is .zck is refused as unsupported, not a crash', async (t) => {
  const dir = tempDir(t)
  const root = join(dir, 'repo')
  writeRepo(root, '<updates/>', { stored: Buffer.from('\0ZCK1 not really zchunk'), href: 'repodata/0123-updateinfo.xml.zck', openChecksum: false })
  const summary = await runIngest({ dbPath: join(dir, 'db.sqlite'), repos: [{ productId: 'test', productName: 'Test', url: root, kind: 'baseurl', baseurls: [root], name: null, allowedHosts: [] }] })
  t.equal(summary.repos[0]?.status, 'failed')
  t.match(summary.repos[0]?.error, `test repo ${root}: zchunk (.zck) compression is unsupported`)
})
