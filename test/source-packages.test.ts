// Source packages as ALAS shows them under "New packages: src:", and the command that downloads them from the
// product's source repo: the repo id from the JSON configuration or from a .repo file's SRPMS section (EPLL's
// epll-source), the SRPMs from arch="src" packages and src attributes (Fedora's binary src URLs do not count).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadJsonConfig, readJsonConfig, reposFromRepoFile } from '../ingest/config.js'
import { parseRepoFile, signingKeyOf, sourceSection } from '../ingest/repo-file.js'
import { runIngest } from '../ingest/run.js'
import { sourceRpms } from '../domain/source-rpms.js'
import { generateKey } from './helpers/gpg.js'
import { writeConfig, writeLabRepo, type LabAdvisory } from './helpers/lab.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { testApp } from './helpers/test-app.js'

const pkg = (name: string, arch: string, src: string | null, version = '1.0', release = '1'): { name: string, version: string, release: string, arch: string, src: string | null } => ({ name, version, release, arch, src })

t.test('the SRPMs of a fix: arch src packages and src attributes that name a source RPM', async (t) => {
  t.strictSame(sourceRpms([
    pkg('openssl', 'x86_64', 'openssl-3.0.8-1.el9.src.rpm', '3.0.8', '1.el9'),
    pkg('openssl-libs', 'x86_64', 'openssl-3.0.8-1.el9.src.rpm', '3.0.8', '1.el9'),
    pkg('openssl', 'src', null, '3.0.8', '1.el9')
  ]), ['openssl-3.0.8-1.el9.src'], 'one SRPM however many ways it is named')
  t.strictSame(sourceRpms([
    pkg('python3-boto3', 'noarch', 'https://download.example.org/43/i386/p/python3-boto3-1.42.0-1.fc43.noarch.rpm'),
    pkg('python-boto3', 'src', 'https://download.example.org/43/SRPMS/p/python-boto3-1.42.0-1.fc43.src.rpm', '1.42.0', '1.fc43')
  ]), ['python-boto3-1.42.0-1.fc43.src'], 'Fedora: a binary\'s src is its own RPM, not a source')
  t.strictSame(sourceRpms([pkg('kernel', 'x86_64', null), pkg('perf', 'x86_64', null)]), [], 'Amazon: no src given')
  t.strictSame(sourceRpms([pkg('foo', 'x86_64', 'src/foo-2-1.nosrc.rpm'), pkg('bar', 'i586', 'bar-1-1.src.rpm'), pkg('baz', 'x86_64', 'not an rpm')]),
    ['bar-1-1.src', 'foo-2-1.nosrc'], 'a relative path (SUSE) and nosrc; anything else is no SRPM')
})

t.test('a .repo file names the source repo (its SRPMS section) and the signing key (gpgkey)', async (t) => {
  const epll = join(fixturesDir, 'epll.repo')
  const sections = parseRepoFile(readFileSync(epll, 'utf8'), epll)
  t.equal(sourceSection(sections)?.id, 'epll-source', 'EPLL\'s own epll.repo: epll-source, disabled as shipped')
  t.equal(signingKeyOf(sections), 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-lambda-epll')
  const sources = reposFromRepoFile(epll, { id: 'epll', name: 'EPLL' }, { releasever: '2017.03', basearch: 'x86_64' }, [], ['epll'])
  t.strictSame(sources.repos.map((r) => [r.name, r.product]), [['epll-Base (2017.03/x86_64)', {
    packageManager: null,
    sourceRepo: 'epll-source',
    // The path yum checks packages with on every server using this file: shown as the import command's.
    signingKey: { source: '/etc/pki/rpm-gpg/RPM-GPG-KEY-lambda-epll', importUrl: '/etc/pki/rpm-gpg/RPM-GPG-KEY-lambda-epll' }
  }]])

  const parse = (text: string): ReturnType<typeof parseRepoFile> => parseRepoFile(text, 'x.repo')
  t.equal(sourceSection(parse('[a]\nbaseurl=http://h/os/\n[b]\nmirrorlist=http://h/mirror.list?repo=SRPMS\n[c]\nbaseurl=http://h/SRPMS-old/\n')), null, 'only an SRPMS folder counts, not a query or a longer name')
  t.equal(sourceSection(parse('[a]\nbaseurl=http://h/os/\n[a-src]\nmirrorlist=http://h/7/SRPMS/mirror.list\n'))?.id, 'a-src', 'a mirrorlist in an SRPMS folder')
  t.equal(sourceSection(parse('[a]\nbaseurl=http://h/os/\n[b]\nbaseurl=http://h/7/SRPMS\n'))?.id, 'b', 'SRPMS as the last segment')
  t.equal(sourceSection(parse('[a]\nbaseurl=http://h/os/\n[b]\nbaseurl=http://h/7/srpms/x86_64/\n'))?.id, 'b', 'any case')
  t.equal(signingKeyOf(parse('[a]\nbaseurl=http://h/\nenabled=0\ngpgkey=http://h/A\n[b]\nbaseurl=http://h/\ngpgkey=http://h/B1\n  http://h/B2\n')), 'http://h/B1',
    'the first key of an enabled section, before a disabled one\'s')
  t.equal(signingKeyOf(parse('[a]\nbaseurl=http://h/\ngpgkey=\n  http://h/A1 http://h/A2\n')), 'http://h/A1', 'a key list continued on an indented line')
  t.equal(signingKeyOf(parse('[a]\nbaseurl=http://h/\n')), null)

  // In a JSON configuration, the product's own keys win over its .repo file's.
  const dir = tempDir(t)
  writeFileSync(join(dir, 'lab.repo'), '[lab]\nbaseurl=http://h/os/\ngpgkey=http://h/KEY\n[lab-source]\nbaseurl=http://h/SRPMS/\nenabled=0\n')
  const config = (product: Record<string, unknown>): string => {
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ products: [{ id: 'lab', repos: [{ repoFile: 'lab.repo' }], ...product }] }))
    return join(dir, 'c.json')
  }
  t.strictSame(readJsonConfig(config({})).repos[0]!.product, { packageManager: null, sourceRepo: 'lab-source', signingKey: { source: 'http://h/KEY', importUrl: 'http://h/KEY' } })
  t.strictSame(readJsonConfig(config({ sourceRepo: 'mine', packageManager: 'dnf' })).repos[0]!.product, { packageManager: 'dnf', sourceRepo: 'mine', signingKey: { source: 'http://h/KEY', importUrl: 'http://h/KEY' } })
})

const epllAdvisories: LabAdvisory[] = [{
  id: 'EPLL-2016-0042',
  packages: [
    { name: 'openssl', version: '1.0.2k', release: '1.epll', src: 'openssl-1.0.2k-1.epll.src.rpm' },
    { name: 'openssl-libs', version: '1.0.2k', release: '1.epll', src: 'openssl-1.0.2k-1.epll.src.rpm' }
  ]
}]

t.test('EPLL from its .repo file: the src: group, yumdownloader from epll-source, and the key from gpgkey', async (t) => {
  const dir = tempDir(t)
  const key = generateKey(t, 'Lambda Linux EPLL (test) <epll@example.org>')
  writeFileSync(join(dir, 'RPM-GPG-KEY-lambda-epll'), key.armored)
  writeLabRepo(dir, 'x86_64', epllAdvisories)
  const repoFile = join(dir, 'epll.repo')
  writeFileSync(repoFile, `[epll]\nname=epll-Base\nbaseurl=file://${dir}/x86_64/\ngpgkey=file://${dir}/RPM-GPG-KEY-lambda-epll\nenabled=1\n\n` +
    `[epll-source]\nname=epll-Source\nbaseurl=file://${dir}/SRPMS/\ngpgkey=file://${dir}/RPM-GPG-KEY-lambda-epll\nenabled=0\n`)
  const dbPath = join(dir, 'db.sqlite')
  const summary = await runIngest({ dbPath, repos: reposFromRepoFile(repoFile, { id: 'epll', name: 'Extra Packages for Lambda Linux' }, {}).repos })
  t.strictSame([summary.repos.map((r) => r.status), summary.keys?.map((k) => k.status)], [['ok'], ['ok']])
  const app = await testApp(t, { dbPath })
  const page = (await app.inject('/epll/EPLL-2016-0042')).body
  const src = page.slice(page.indexOf('<div class="source-packages" id="source-packages">'), page.indexOf('</div>', page.indexOf('id="source-packages"')))
  t.match(src, '<h3 class="arch">src:</h3>')
  t.strictSame([...src.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => m[1]), ['openssl-1.0.2k-1.epll.src'], 'the SRPM, once')
  t.match(src, '<p class="source-download">Download the source RPMs from <code>epll-source</code>: <code class="command">yumdownloader --enablerepo=epll-source --source openssl</code></p>')
  t.match(page, `<code class="command">rpm --import ${dir}/RPM-GPG-KEY-lambda-epll</code>`, 'the .repo file\'s key path is the import command\'s')
  t.match(page, '<code class="command">yum update openssl</code>', 'EPLL ids: yum')
  const products = (await app.inject('/products')).body
  t.match(products, '<div><dt>Source repository</dt><dd><code>epll-source</code></dd></div>')
  const api = (await app.inject('/api/v1/products/epll/advisories/EPLL-2016-0042.json')).json() as { source_repo: unknown }
  t.equal(api.source_repo, 'epll-source')
})

t.test('per package manager and per what the updateinfo gives', async (t) => {
  const dir = tempDir(t)
  writeLabRepo(dir, 'fedora', [{
    id: 'FEDORA-2025-1',
    packages: [
      { name: 'python3-boto3', arch: 'noarch', version: '1.42.0', release: '1.fc43', src: 'https://example.org/43/x86_64/p/python3-boto3-1.42.0-1.fc43.noarch.rpm' },
      { name: 'python-boto3', arch: 'src', version: '1.42.0', release: '1.fc43', src: 'https://example.org/43/SRPMS/p/python-boto3-1.42.0-1.fc43.src.rpm' }
    ]
  }])
  writeLabRepo(dir, 'amazon', [{ id: 'ALAS2-2024-1', packages: [{ name: 'kernel' }, { name: 'perf' }] }])
  writeLabRepo(dir, 'suse', [{ id: 'openSUSE-SU-2024:1-1', packages: [{ name: 'libz1', src: 'zlib-1.3-1.src.rpm' }] }])
  writeLabRepo(dir, 'plain', [{ id: 'PLAIN-1', packages: [{ name: 'tool', src: 'tool-1.0-1.src.rpm' }] }, { id: 'PLAIN-2', packages: [{ name: 'bare' }] }])
  const config = writeConfig(dir, [
    { id: 'fedora', sourceRepo: 'updates-source', repos: ['fedora'] },
    { id: 'amazon', sourceRepo: 'amzn2-core-source', repos: ['amazon'] },
    { id: 'suse', sourceRepo: 'repo-source', repos: ['suse'] },
    { id: 'plain', repos: ['plain'] }
  ])
  const dbPath = join(dir, 'db.sqlite')
  await runIngest({ dbPath, repos: loadJsonConfig(config) })
  const app = await testApp(t, { dbPath })
  const srcBlock = async (url: string): Promise<string | null> => {
    const page = (await app.inject(url)).body
    const at = page.indexOf('<div class="source-packages" id="source-packages">')
    return at < 0 ? null : page.slice(at, page.indexOf('</div>', at))
  }
  const fedora = await srcBlock('/fedora/FEDORA-2025-1')
  t.match(fedora, '<li><code>python-boto3-1.42.0-1.fc43.src</code></li>')
  t.match(fedora, '<code class="command">dnf download --enablerepo=updates-source --source python-boto3</code>', 'the SRPM\'s own name, not the binary\'s')
  const amazon = await srcBlock('/amazon/ALAS2-2024-1')
  t.match(amazon, '<p class="source-note">The updateinfo names no source RPM file; the source packages are kernel, perf.</p>')
  t.match(amazon, '<code class="command">yumdownloader --enablerepo=amzn2-core-source --source kernel perf</code>')
  const suse = await srcBlock('/suse/openSUSE-SU-2024%3A1-1')
  t.match(suse, '<li><code>zlib-1.3-1.src</code></li>')
  t.match(suse, '<p class="source-download">The source RPMs are in the repository <code>repo-source</code>.</p>', 'zypper: no yumdownloader')
  t.notMatch(suse, 'class="command"')
  const plain = await srcBlock('/plain/PLAIN-1')
  t.match(plain, '<li><code>tool-1.0-1.src</code></li>', 'no source repo: the SRPMs still listed')
  t.notMatch(plain, 'source-download', 'and no download command')
  t.equal(await srcBlock('/plain/PLAIN-2'), null, 'nothing known of sources and no source repo: no src: group')
})
