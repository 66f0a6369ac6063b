// The right command per product: yum, dnf, zypper or none, from the product's configuration or else from the
// advisory id, the same on the advisory page, in feed items and in the API's update_command; "apply with the
// OS's update mechanism" where there is no package manager. And the configuration's mistakes, one line each.
import t from 'tap'
import { join } from 'node:path'
import Parser from 'rss-parser'
import { ConfigError, loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { advisoryCommand, defaultPackageManager, packageManagerOf, preferredUpdateCommand, sourceDownloadCommand, updateCommand } from '../domain/update-command.js'
import { writeConfig, writeLabRepo, type LabAdvisory } from './helpers/lab.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { testApp } from './helpers/test-app.js'

t.test('the package manager an advisory id implies, and the commands of each', async (t) => {
  const cases: Array<[string, string]> = [
    ['ALAS-2018-1000', 'yum'], ['ALAS2-2018-939', 'yum'], ['ALAS2KERNEL-5.10-2024-001', 'yum'], ['ALAS2023-2023-001', 'dnf'],
    ['ALAS2022-2022-123', 'dnf'], ['ALAS2023LIVEPATCH-2024-001', 'dnf'], ['FEDORA-2025-4a08954c02', 'dnf'], ['FEDORA-EPEL-2024-1', 'dnf'],
    ['ALSA-2022:4940', 'dnf'], ['RLSA-2021:2575', 'dnf'], ['ELSA-2024-1234', 'yum'], ['RHSA-2024:1234', 'yum'], ['CESA-2019:1234', 'yum'],
    ['openSUSE-SU-2024:0001-1', 'zypper'], ['SUSE-SU-2024:0001-1', 'zypper'], ['BRSA-1bwujdrkn6nc', 'none'], ['EPLL-2016-0042', 'yum'], ['kernel-4', 'yum']
  ]
  for (const [id, manager] of cases) t.equal(defaultPackageManager(id), manager, id)
  t.equal(packageManagerOf('zypper', 'ALAS2-2018-939'), 'zypper', 'the configuration wins over the id')
  t.equal(packageManagerOf(null, 'ALAS2023-2023-001'), 'dnf')

  t.equal(updateCommand('yum', ['kernel', 'perf']), 'yum update kernel perf', 'ALAS\'s words, unchanged')
  t.equal(updateCommand('dnf', ['xz']), 'dnf upgrade xz')
  t.equal(updateCommand('zypper', ['kernel-default']), 'zypper update kernel-default')
  t.equal(updateCommand('none', ['glibc']), null)
  t.equal(updateCommand('yum', []), null)
  t.equal(updateCommand('dnf', ['-rf', 'a b']), "dnf upgrade -- -rf 'a b'", '-- before a name that starts with -; quoted words')
  t.equal(advisoryCommand('yum', ['ALAS2-2018-939']), 'yum update --advisory=ALAS2-2018-939')
  t.equal(advisoryCommand('dnf', ['A', 'B;C']), "dnf upgrade --advisory=A --advisory='B;C'")
  t.equal(advisoryCommand('zypper', ['openSUSE-SU-2024:0001-1']), 'zypper install -t patch openSUSE-SU-2024:0001-1')
  t.equal(advisoryCommand('none', ['BRSA-1']), null)
  t.equal(preferredUpdateCommand('dnf', [], 'FEDORA-1'), 'dnf upgrade --advisory=FEDORA-1', 'no names: by advisory')
  t.equal(sourceDownloadCommand('yum', 'epll-source', ['openssl']), 'yumdownloader --enablerepo=epll-source --source openssl')
  t.equal(sourceDownloadCommand('dnf', 'baseos-source', ['xz']), 'dnf download --enablerepo=baseos-source --source xz')
  t.equal(sourceDownloadCommand('zypper', 'repo-source', ['xz']), null)
  t.equal(sourceDownloadCommand('yum', 'my repo', ['x']), "yumdownloader --enablerepo='my repo' --source x", 'the repo id is quoted too')
})

// One product per way of choosing: configured, or per advisory id.
const mixed: LabAdvisory[] = [
  { id: 'ALAS2-2024-0001', packages: [{ name: 'curl', src: 'curl-8.0-1.amzn2.src.rpm' }] },
  { id: 'ALAS2023-2024-0002', packages: [{ name: 'curl', src: 'curl-8.1-1.amzn2023.src.rpm' }] },
  { id: 'openSUSE-SU-2024:0003-1', packages: [{ name: 'libcurl4', arch: 'x86_64', src: 'curl-8.2-1.src.rpm' }] },
  { id: 'BRSA-abc123', packages: [{ name: 'bottlerocket-curl', src: 'curl-8.3-1.src.rpm' }] }
]

t.test('per product and per id: the advisory page, a feed item and the API agree', async (t) => {
  const dir = tempDir(t)
  writeLabRepo(dir, 'mixed', mixed)
  writeLabRepo(dir, 'suse', [{ id: 'SU-1', packages: [{ name: 'zlib', src: 'zlib-1.3-1.src.rpm' }] }])
  writeLabRepo(dir, 'rocket', [{ id: 'ROCKET-1', packages: [{ name: 'glibc', src: 'glibc-2.40-1.src.rpm' }] }])
  const config = writeConfig(dir, [
    { id: 'mixed', name: 'Mixed', repos: ['mixed'] },
    { id: 'suse', name: 'SUSE Lab', packageManager: 'zypper', repos: ['suse'] },
    { id: 'rocket', name: 'Rocket OS', packageManager: 'none', repos: ['rocket'] }
  ])
  const dbPath = join(dir, 'db.sqlite')
  await runIngest({ dbPath, repos: loadJsonConfig(config) })
  const app = await testApp(t, { dbPath })
  // [product, id, update command or null, exactly-this-advisory command or null]
  const expected: Array<[string, string, string | null, string | null]> = [
    ['mixed', 'ALAS2-2024-0001', 'yum update curl', 'yum update --advisory=ALAS2-2024-0001'],
    ['mixed', 'ALAS2023-2024-0002', 'dnf upgrade curl', 'dnf upgrade --advisory=ALAS2023-2024-0002'],
    ['mixed', 'openSUSE-SU-2024:0003-1', 'zypper update curl', 'zypper install -t patch openSUSE-SU-2024:0003-1'],
    ['mixed', 'BRSA-abc123', null, null],
    ['suse', 'SU-1', 'zypper update zlib', 'zypper install -t patch SU-1'],
    ['rocket', 'ROCKET-1', null, null]
  ]
  const parser = new Parser()
  for (const [product, id, update, exact] of expected) {
    const page = (await app.inject(`/${product}/${encodeURIComponent(id)}`)).body
    const correction = page.slice(page.indexOf('<h2 id="correction">'), page.indexOf('<h2 id="new-packages">'))
    const commands = [...correction.matchAll(/<code class="command">([^<]*)<\/code>/g)].map((m) => m[1])
    t.strictSame(commands, [update, exact].filter((c) => c !== null), `${product}/${id}: the page's commands`)
    if (update === null) {
      t.match(correction, "Apply with the OS's update mechanism", `${product}/${id}: no package manager to run`)
      t.notMatch(correction, /yum|dnf|zypper/, `${product}/${id}: and no command of another OS`)
    } else {
      t.notMatch(correction, 'update mechanism', `${product}/${id}: a command, so no such note`)
    }
    const api = (await app.inject(`/api/v1/products/${product}/advisories/${encodeURIComponent(id)}.json`)).json() as { update_command: unknown, package_manager: unknown }
    t.equal(api.update_command, update, `${product}/${id}: API update_command`)
    t.equal(api.package_manager, update === null ? 'none' : update.split(' ')[0], `${product}/${id}: API package_manager`)
    const item = (await parser.parseString((await app.inject(`/feeds/${product}.rss`)).body)).items.find((i) => i.link?.endsWith(`/${product}/${encodeURIComponent(id)}`))
    const fix = /<p><strong>Fix:<\/strong> (.*?)<\/p>/.exec(item?.content ?? '')?.[1]
    t.equal(fix, update === null ? "apply with the OS's update mechanism." : `<code>${update}</code>`, `${product}/${id}: the feed item's fix`)
  }
  const list = (await app.inject('/api/v1/advisories?product=mixed')).json() as { items: Array<{ id: string, update_command: unknown }> }
  t.strictSame(Object.fromEntries(list.items.map((i) => [i.id, i.update_command])), {
    'ALAS2-2024-0001': 'yum update curl', 'ALAS2023-2024-0002': 'dnf upgrade curl', 'openSUSE-SU-2024:0003-1': 'zypper update curl', 'BRSA-abc123': null
  }, 'the list API too')
  const products = (await app.inject('/api/v1/products')).json() as { products: Array<{ id: string, package_manager: unknown }> }
  t.strictSame(products.products.map((p) => [p.id, p.package_manager]), [['mixed', null], ['rocket', 'none'], ['suse', 'zypper']], 'the products API says what is configured')
})

t.test('the demo products: each with its own package manager', async (t) => {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  await runIngest({ dbPath, repos: loadJsonConfig(join(projectDir, 'ingest', 'demo', 'config.json')) })
  const app = await testApp(t, { dbPath })
  const first = async (url: string): Promise<string | undefined> => /<code class="command">([^<]*)<\/code>/.exec((await app.inject(url)).body)?.[1]
  t.equal(await first('/amzn2/ALAS2-2018-939'), 'yum update kernel perf python-perf')
  t.equal(await first('/rocky8/RLSA-2021%3A2575'), 'dnf upgrade lz4')
  t.equal(await first('/opensuse11/kernel-4'), 'zypper update kernel-debug kernel-default kernel-docs kernel-pae kernel-source kernel-syms kernel-vanilla kernel-xen')
  t.match((await app.inject('/bottlerocket/BRSA-1bwujdrkn6nc')).body, '<p class="no-package-manager">Apply with the OS\'s update mechanism: Bottlerocket has no package manager to run')
})

t.test('configuration mistakes are one line naming the place', async (t) => {
  const dir = tempDir(t)
  writeLabRepo(dir, 'lab', [{ id: 'LAB-1' }])
  const refused = (product: Record<string, unknown>, message: string | RegExp): void => {
    const file = writeConfig(dir, [{ id: 'lab', repos: ['lab'], ...product }])
    t.throws(() => loadJsonConfig(file), { name: ConfigError.name, message }, JSON.stringify(product))
  }
  refused({ packageManager: 'dfn' }, `${dir}/config.json: products[0].packageManager: "dfn" is not a package manager; did you mean "dnf"? (one of "yum", "dnf", "zypper", "none")`)
  refused({ packageManager: 'apt' }, `${dir}/config.json: products[0].packageManager: "apt" is not a package manager (one of "yum", "dnf", "zypper", "none")`)
  refused({ packageManager: 3 }, `${dir}/config.json: products[0].packageManager must be a non-empty string`)
  refused({ packagemanager: 'yum' }, `${dir}/config.json: products[0]: unknown key "packagemanager"; did you mean "packageManager"?`)
  refused({ sourceRepo: 'epll source' }, `${dir}/config.json: products[0].sourceRepo: "epll source" is not a yum repo id (no spaces or slashes)`)
  refused({ sourceRpeo: 'x' }, `${dir}/config.json: products[0]: unknown key "sourceRpeo"; did you mean "sourceRepo"?`)
  refused({ signingKeyUrl: 'https://example.org/KEY' }, `${dir}/config.json: products[0].signingKeyUrl needs "signingKey" (where the worker reads the key)`)
  refused({ signingKey: 'KEY', signingKeyUrl: 'KEY' }, `${dir}/config.json: products[0].signingKeyUrl: "KEY" must be an http(s) URL without credentials or an absolute path, as people give it to rpm --import`)
  refused({ signingKey: 'https://user:pw@example.org/KEY' }, `${dir}/config.json: products[0].signingKey: "https://user:pw@example.org/KEY": a signing key is public: give its URL without a user or password`)
  refused({ signingKey: 'ftp://example.org/KEY' }, `${dir}/config.json: products[0].signingKey: "ftp://example.org/KEY": unsupported URL scheme "ftp:" (use http, https, file or a path)`)
  refused({ signingKey: '$keyhost/KEY' }, /products\[0\]\.signingKey: unknown variable \$keyhost/)
  // And what is accepted, as the repos carry it.
  const ok = writeConfig(dir, [{ id: 'lab', repos: ['lab'], packageManager: 'dnf', sourceRepo: 'lab-source', signingKey: 'keys/KEY', signingKeyUrl: 'https://example.org/KEY' }])
  t.strictSame(loadJsonConfig(ok)[0]!.product, { packageManager: 'dnf', sourceRepo: 'lab-source', signingKey: { source: join(dir, 'keys', 'KEY'), importUrl: 'https://example.org/KEY' } })
  const remote = writeConfig(dir, [{ id: 'lab', repos: ['lab'], signingKey: 'HTTPS://Example.org/a/../KEY' }])
  t.strictSame(loadJsonConfig(remote)[0]!.product?.signingKey, { source: 'https://example.org/KEY', importUrl: 'https://example.org/KEY' }, 'an http(s) key is its own import URL, canonical')
})
