// The ingest CLI's arguments: sources with their products, variables, and a clear error per mistake.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCliArgs } from '../ingest/args.js'
import { projectDir, tempDir } from './helpers/paths.js'

t.test('--repo takes $releasever and $basearch; several --basearch give one repo each', async (t) => {
  const options = parseCliArgs(['--repo', 'http://127.0.0.1/$releasever/epll/$basearch/os/', '--product', 'epll', '--releasever', '2017.03', '--basearch', 'x86_64', '--basearch', 'i686'], {})
  t.same(options.repos.map((r) => [r.url, r.kind, r.name]), [
    ['http://127.0.0.1/2017.03/epll/x86_64/os/', 'baseurl', '2017.03/x86_64'],
    ['http://127.0.0.1/2017.03/epll/i686/os/', 'baseurl', '2017.03/i686']
  ])
  t.equal(options.dbPath, 'data/security-center.db')
})

t.test('the database path: --db wins over DB_PATH, which wins over the default', async (t) => {
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p'], { DB_PATH: '/tmp/x.db' }).dbPath, '/tmp/x.db')
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p', '--db', '/tmp/y.db'], { DB_PATH: '/tmp/x.db' }).dbPath, '/tmp/y.db')
})

t.test('the real epll.repo (every section enabled=0) with --enablerepo, --product and variables gives its mirrorlist repos', async (t) => {
  const repoFile = join(projectDir, 'test', 'fixtures', 'epll.repo')
  const options = parseCliArgs(['--config', repoFile, '--product', 'epll', '--product-name', 'Extra Packages for Lambda Linux', '--releasever', '2017.03', '--basearch', 'x86_64', '--enablerepo', 'epll*'], {})
  t.same(options.repos.map((r) => [r.productId, r.productName, r.kind, r.url]), [
    ['epll', 'Extra Packages for Lambda Linux', 'mirrorlist', 'http://repo.lambda-linux.io/2017.03/epll/x86_64/os/mirror.list'],
    ['epll', 'Extra Packages for Lambda Linux', 'mirrorlist', 'http://repo.lambda-linux.io/2017.03/epll/x86_64/Debuginfo/mirror.list'],
    ['epll', 'Extra Packages for Lambda Linux', 'mirrorlist', 'http://repo.lambda-linux.io/2017.03/epll/SRPMS/mirror.list']
  ])
  t.same(options.disabled, [])
  const one = parseCliArgs(['--config', repoFile, '--product', 'epll', '--releasever', '2017.03', '--basearch', 'x86_64', '--enablerepo', 'epll-source'], {})
  t.same(one.repos.map((r) => r.url), ['http://repo.lambda-linux.io/2017.03/epll/SRPMS/mirror.list'])
  t.same(one.disabled, [
    { productId: 'epll', source: `${repoFile} [epll]`, reason: 'enabled=0 (--enablerepo epll ingests it)' },
    { productId: 'epll', source: `${repoFile} [epll-debuginfo]`, reason: 'enabled=0 (--enablerepo epll-debuginfo ingests it)' }
  ])
})

t.test('mistakes are refused with a message naming them', async (t) => {
  const repoFile = join(projectDir, 'test', 'fixtures', 'epll.repo')
  t.throws(() => parseCliArgs(['--repo', '/r'], {}), { name: 'UsageError', message: '--repo /r needs --product ID after it' })
  t.throws(() => parseCliArgs(['--product', 'p', '--repo', '/r'], {}), { name: 'UsageError', message: '--product must follow the --repo, --mirrorlist or --config it belongs to' })
  t.throws(() => parseCliArgs(['--config', repoFile], {}), { name: 'UsageError', message: `--config ${repoFile} is a .repo file: give --product ID after it` })
  t.throws(() => parseCliArgs(['--config', repoFile, '--product', 'epll', '--enablerepo', 'epll'], {}), { name: 'ConfigError', message: `${repoFile} [epll]: unknown variable $releasever in "http://repo.lambda-linux.io/$releasever/epll/$basearch/os/mirror.list" (set it in "variables" or with --releasever)` })
  t.throws(() => parseCliArgs(['--repo', '/r', '--product', 'Bad Id'], {}), { name: 'ConfigError', message: /product id "Bad Id" must be 1-64 lower-case letters/ })
  for (const page of ['check', 'feeds', 'packages', 'metrics']) {
    t.throws(() => parseCliArgs(['--repo', '/r', '--product', page], {}), { name: 'ConfigError', message: `--product ${page}: product id "${page}" is reserved for the portal's own pages; choose another` }, `/${page} is a page`)
  }
  t.throws(() => parseCliArgs([], {}), { name: 'UsageError', message: 'nothing to ingest: give --config FILE, or --repo URL --product ID' })
  t.throws(() => parseCliArgs(['--repo', '/r', '--product', 'p', '--interval', '5m'], {}), { name: 'UsageError', message: '--interval only makes sense with --watch' })
  t.throws(() => parseCliArgs(['--repo', '/r', '--product', 'p', '--max-decompressed-size', 'lots'], {}), { name: 'UsageError', message: '--max-decompressed-size: "lots" is not a size (for example 500M or 2G)' })
  t.throws(() => parseCliArgs(['--bogus'], {}), { name: 'UsageError', message: 'unknown option --bogus' })
})

t.test('sizes and durations', async (t) => {
  const options = parseCliArgs(['--repo', '/r', '--product', 'p', '--watch', '--interval', '15m', '--max-decompressed-size', '2G'], {})
  t.equal(options.intervalMs, 15 * 60_000)
  t.equal(options.maxDecompressedBytes, 2 * 1024 ** 3)
})

t.test('a JSON configuration: list variables expand, paths are relative to it, mistakes are named', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'repos.json')
  writeFileSync(file, JSON.stringify({
    variables: { basearch: ['x86_64', 'SRPMS'] },
    products: [{ id: 'epll', name: 'EPLL', repos: [{ baseurl: 'mirror/$basearch', name: 'os' }, { mirrorlist: 'http://127.0.0.1/$releasever/mirror.list' }], variables: { releasever: 'latest' } }]
  }))
  t.same(parseCliArgs(['--config', file], {}).repos.map((r) => [r.kind, r.url, r.name]), [
    ['baseurl', join(dir, 'mirror', 'x86_64'), 'os (x86_64)'],
    ['baseurl', join(dir, 'mirror', 'SRPMS'), 'os (SRPMS)'],
    ['mirrorlist', 'http://127.0.0.1/latest/mirror.list', 'latest']
  ])
  writeFileSync(file, JSON.stringify({ products: [{ id: 'epll', repos: [{ name: 'no source' }] }] }))
  t.throws(() => parseCliArgs(['--config', file], {}), { name: 'ConfigError', message: `${file}: products[0].repos[0] needs exactly one of "baseurl", "mirrorlist" or "repoFile"` })
  writeFileSync(file, '{ "products": [')
  t.throws(() => parseCliArgs(['--config', file], {}), { name: 'ConfigError', message: new RegExp(`^cannot read ${file}: `) })
  t.throws(() => parseCliArgs(['--config', file, '--product', 'x'], {}), { name: 'UsageError', message: /--product does not apply to a JSON configuration/ })
})
