// Strict configuration: every mistake in a JSON configuration, a .repo file or the flags is refused with one
// exact message (the place, the mistake, the closest right word); disabled repos are honoured and said; repo
// URLs and paths are stored in one canonical form, so the same repo given two ways is one row.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { parseCliArgs, usage } from '../ingest/args.js'
import { readJsonConfig } from '../ingest/config.js'
import { canonicalRepoUrl } from '../ingest/repo-url.js'
import { runIngest } from '../ingest/run.js'
import { runCli } from './helpers/cli.js'
import { readRows } from './helpers/db.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testDb } from './helpers/test-app.js'

const epllRepo = join(projectDir, 'test', 'fixtures', 'epll.repo')

/** A JSON configuration written to a fresh folder; returns its path. */
function jsonConfig (t: Parameters<typeof tempDir>[0], doc: unknown): string {
  const file = join(tempDir(t), 'config.json')
  writeFileSync(file, JSON.stringify(doc))
  return file
}

const oneRepo = { baseurl: 'http://example.org/os/', name: 'os' }

t.test('an unknown key in a JSON configuration is an error naming the place, the key and the closest known one', async (t) => {
  const cases: Array<[unknown, string]> = [
    [{ products: [{ id: 'p', nmae: 'P', repos: [oneRepo] }] }, 'products[0]: unknown key "nmae"; did you mean "name"?'],
    [{ product: [{ id: 'p', repos: [oneRepo] }] }, 'unknown key "product"; did you mean "products"?'],
    [{ products: [{ id: 'p', repos: [{ baseURL: 'http://example.org/os/' }] }] }, 'products[0].repos[0]: unknown key "baseURL"; did you mean "baseurl"?'],
    [{ products: [{ id: 'p', repos: [{ ...oneRepo, enbled: false }] }] }, 'products[0].repos[0]: unknown key "enbled"; did you mean "enabled"?'],
    [{ products: [{ id: 'p', repos: [{ ...oneRepo, gpgcheck: 1 }] }] }, 'products[0].repos[0]: unknown key "gpgcheck" (known keys: "baseurl", "mirrorlist", "repoFile", "name", "enabled", "enablerepo")'],
    [{ variables: {}, allowedhosts: [], products: [{ id: 'p', repos: [oneRepo] }] }, 'unknown key "allowedhosts"; did you mean "allowedHosts"?'],
    [{ products: [{ id: 'p', repos: [{ repoFile: 'x.repo', name: 'x' }] }] }, 'products[0].repos[0]: "name" does not apply to a "repoFile" entry (its sections name their repos)'],
    [{ products: [{ id: 'p', repos: [{ ...oneRepo, enablerepo: ['x'] }] }] }, 'products[0].repos[0]: "enablerepo" applies only to a "repoFile" entry'],
    [{ products: [{ id: 'p', repos: [{ ...oneRepo, enabled: 'no' }] }] }, 'products[0].repos[0].enabled must be true or false'],
    [{ products: [{ id: 'p', enabled: 0, repos: [oneRepo] }] }, 'products[0].enabled must be true or false'],
    // A disabled product's repos are not read, but a mistake in them is still one.
    [{ products: [{ id: 'p', enabled: false, repos: [{ ...oneRepo, nmae: 'x' }] }] }, 'products[0].repos[0]: unknown key "nmae"; did you mean "name"?']
  ]
  for (const [doc, message] of cases) {
    const file = jsonConfig(t, doc)
    t.throws(() => parseCliArgs(['--config', file], {}), { name: 'ConfigError', message: `${file}: ${message}` }, message)
  }
})

t.test('the typo no longer resets the display name silently: a right configuration keeps it', async (t) => {
  const file = jsonConfig(t, { products: [{ id: 'p', name: 'Product P', repos: [oneRepo] }] })
  t.same(parseCliArgs(['--config', file], {}).repos.map((r) => [r.productId, r.productName]), [['p', 'Product P']])
})

t.test('"enabled": false skips a repo or a whole product, and says so', async (t) => {
  const file = jsonConfig(t, {
    products: [
      { id: 'a', repos: [oneRepo, { baseurl: 'http://example.org/debug/', enabled: false }, { mirrorlist: 'http://example.org/$nothing/list', enabled: false }] },
      { id: 'b', enabled: false, repos: [{ baseurl: 'http://example.org/$undefined/' }] }
    ]
  })
  const options = parseCliArgs(['--config', file], {})
  t.same(options.repos.map((r) => [r.productId, r.url]), [['a', 'http://example.org/os/']], 'a disabled repo is not expanded, so its unknown variable is no error')
  t.same(options.disabled, [
    { productId: 'a', source: `${file}: products[0].repos[1] (http://example.org/debug/)`, reason: '"enabled": false' },
    { productId: 'a', source: `${file}: products[0].repos[2] (http://example.org/$nothing/list)`, reason: '"enabled": false' },
    { productId: 'b', source: `${file}: products[1]`, reason: '"enabled": false (the whole product)' }
  ])
  const allOff = jsonConfig(t, { products: [{ id: 'a', repos: [{ ...oneRepo, enabled: false }] }] })
  t.throws(() => parseCliArgs(['--config', allOff], {}), {
    name: 'UsageError',
    message: `nothing to ingest: every repo given is disabled (${allOff}: products[0].repos[0] (http://example.org/os/): "enabled": false)`
  })
})

t.test('a .repo file: enabled=0 is honoured unless --enablerepo asks for the section, as yum does', async (t) => {
  const dir = tempDir(t)
  const repoFile = join(dir, 'lab.repo')
  writeFileSync(repoFile, '[on]\nbaseurl=http://example.org/on/\n\n[off]\nbaseurl=http://example.org/off/\nenabled=0\n\n[no]\nbaseurl=http://example.org/no/\nenabled=False\n')
  const plain = parseCliArgs(['--config', repoFile, '--product', 'lab'], {})
  t.same(plain.repos.map((r) => r.url), ['http://example.org/on/'])
  t.same(plain.disabled.map((d) => `${d.source}: ${d.reason}`), [
    `${repoFile} [off]: enabled=0 (--enablerepo off ingests it)`,
    `${repoFile} [no]: enabled=0 (--enablerepo no ingests it)`
  ])
  t.same(parseCliArgs(['--config', repoFile, '--product', 'lab', '--enablerepo', 'off'], {}).repos.map((r) => r.url), ['http://example.org/on/', 'http://example.org/off/'])
  t.same(parseCliArgs(['--config', repoFile, '--product', 'lab', '--enablerepo', 'o*', '--enablerepo', 'n?'], {}).repos.map((r) => r.url),
    ['http://example.org/on/', 'http://example.org/off/', 'http://example.org/no/'], 'globs, as yum takes them')

  t.throws(() => parseCliArgs(['--config', repoFile, '--product', 'lab', '--enablerepo', 'offf'], {}), { name: 'UsageError', message: '--enablerepo offf: no section [offf] in the .repo files given; did you mean off?' })
  t.throws(() => parseCliArgs(['--config', repoFile, '--product', 'lab', '--enablerepo', 'updates-testing'], {}), { name: 'UsageError', message: '--enablerepo updates-testing: no section [updates-testing] in the .repo files given (sections: on, off, no)' })
  t.throws(() => parseCliArgs(['--repo', '/r', '--product', 'p', '--enablerepo', 'epll'], {}), { name: 'UsageError', message: '--enablerepo epll: no .repo file was given (--enablerepo names a section of one)' })
  t.throws(() => parseCliArgs(['--config', epllRepo, '--product', 'epll'], {}), {
    name: 'UsageError',
    message: `nothing to ingest: every repo given is disabled (${epllRepo} [epll]: enabled=0 (--enablerepo epll ingests it); ${epllRepo} [epll-debuginfo]: enabled=0 (--enablerepo epll-debuginfo ingests it); ${epllRepo} [epll-source]: enabled=0 (--enablerepo epll-source ingests it))`
  })

  writeFileSync(repoFile, '[x]\nbaseurl=http://example.org/x/\nenabled=maybe\n')
  t.throws(() => parseCliArgs(['--config', repoFile, '--product', 'lab'], {}), { name: 'RepoFileError', message: `${repoFile}:3: enabled=maybe is not a yes/no value (1 or 0)` })
})

t.test('a .repo file in a JSON configuration: "enablerepo" per entry, --enablerepo for every file', async (t) => {
  const file = jsonConfig(t, {
    variables: { releasever: '2017.03', basearch: 'x86_64' },
    products: [{ id: 'epll', repos: [{ repoFile: epllRepo, enablerepo: ['epll'] }] }]
  })
  const options = parseCliArgs(['--config', file], {})
  t.same(options.repos.map((r) => r.url), ['http://repo.lambda-linux.io/2017.03/epll/x86_64/os/mirror.list'])
  t.same(options.disabled.map((d) => d.source), [`${epllRepo} [epll-debuginfo]`, `${epllRepo} [epll-source]`])
  t.same(parseCliArgs(['--config', file, '--enablerepo', 'epll-source'], {}).repos.map((r) => r.url),
    ['http://repo.lambda-linux.io/2017.03/epll/x86_64/os/mirror.list', 'http://repo.lambda-linux.io/2017.03/epll/SRPMS/mirror.list'])
  const typo = jsonConfig(t, { products: [{ id: 'epll', repos: [{ repoFile: epllRepo, enablerepo: ['epll-sources'] }] }] })
  t.throws(() => parseCliArgs(['--config', typo], {}), { name: 'ConfigError', message: `${typo}: products[0].repos[0].enablerepo: "epll-sources" matches no section of ${epllRepo}; did you mean "epll-source"?` })
})

t.test('an unknown $variable: the hint names a real flag or the variable meant, never a flag that does not exist', async (t) => {
  const flagsInUsage = new Set([...usage.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!))
  const cases: Array<[string, string]> = [
    ['http://example.org/$relasever/os/', '--repo http://example.org/$relasever/os/: unknown variable $relasever in "http://example.org/$relasever/os/"; did you mean $releasever?'],
    ['http://example.org/$basearh/os/', '--repo http://example.org/$basearh/os/: unknown variable $basearh in "http://example.org/$basearh/os/"; did you mean $basearch?'],
    ['http://example.org/$awsregion/os/', '--repo http://example.org/$awsregion/os/: unknown variable $awsregion in "http://example.org/$awsregion/os/" (set it in "variables" of a JSON configuration; only $releasever and $basearch have flags: --releasever, --basearch)'],
    ['http://example.org/$releasever/os/', '--repo http://example.org/$releasever/os/: unknown variable $releasever in "http://example.org/$releasever/os/" (set it in "variables" or with --releasever)']
  ]
  for (const [url, message] of cases) {
    t.throws(() => parseCliArgs(['--repo', url, '--product', 'p'], {}), { name: 'ConfigError', message }, message)
    for (const flag of message.matchAll(/--([a-z-]+)/g)) t.ok(flagsInUsage.has(flag[1]!), `--${flag[1]!} is a real flag`)
  }
  const file = jsonConfig(t, { variables: { awsregion: 'eu-west-1' }, products: [{ id: 'p', repos: [{ baseurl: 'http://example.org/$awsregoin/' }] }] })
  t.throws(() => parseCliArgs(['--config', file], {}), { name: 'ConfigError', message: `${file}: products[0].repos[0]: unknown variable $awsregoin in "http://example.org/$awsregoin/"; did you mean $awsregion?` })
})

t.test('flag mistakes: the flag meant, a missing value, the log format', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
    [['--relasever', '7'], {}, 'unknown option --relasever; did you mean --releasever?'],
    [['--enable-repo', 'x'], {}, 'unknown option --enable-repo; did you mean --enablerepo?'],
    [['--repo', '/r', '--product', 'p', '--db'], {}, '--db needs a value'],
    [['--repo', '/r', '--product', 'p', '--log-format', 'xml'], {}, '--log-format: "xml" is not a log format (text or json)'],
    [['--repo', '/r', '--product', 'p'], { LOG_FORMAT: 'pretty' }, 'LOG_FORMAT: "pretty" is not a log format (text or json)'],
    [['--repo', '/r', '--product', 'p', '--json', '--log-format', 'json'], {}, '--json and --log-format do not go together: --json prints only the summary']
  ]
  for (const [argv, env, message] of cases) t.throws(() => parseCliArgs(argv, env), { name: 'UsageError', message }, message)
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p'], { LOG_FORMAT: 'text' }).logFormat, 'text')
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p', '--log-format', 'json'], { LOG_FORMAT: 'text' }).logFormat, 'json', 'the flag wins')
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p', '--json'], { LOG_FORMAT: 'pretty' }).logFormat, null, '--json ignores LOG_FORMAT')
  t.equal(parseCliArgs(['--repo', '/r', '--product', 'p'], {}).logFormat, null, 'no choice: bin/ingest.ts decides by the terminal')
})

t.test('repo URLs and paths in canonical form', async (t) => {
  const cwd = process.cwd()
  const cases: Array<[string, 'baseurl' | 'mirrorlist', string]> = [
    ['HTTP://Example.ORG:80/a/./b/../os', 'baseurl', 'http://example.org/a/os/'],
    ['https://example.org/os//', 'baseurl', 'https://example.org/os//'],
    ['https://example.org/os/?token=1#frag', 'baseurl', 'https://example.org/os/?token=1'],
    ['https://example.org', 'baseurl', 'https://example.org/'],
    ['http://example.org/x/%7Eu/mirror.list', 'mirrorlist', 'http://example.org/x/%7Eu/mirror.list'],
    ['http://example.org/x/mirror.list', 'mirrorlist', 'http://example.org/x/mirror.list'],
    ['repos/x/', 'baseurl', join(cwd, 'repos', 'x')],
    ['./repos/../repos/x', 'baseurl', join(cwd, 'repos', 'x')],
    ['/srv/repo/', 'baseurl', '/srv/repo'],
    ['file:///srv/repo/', 'baseurl', '/srv/repo'],
    ['file://localhost/srv/my%20repo', 'baseurl', '/srv/my repo']
  ]
  for (const [given, kind, expected] of cases) t.equal(canonicalRepoUrl(given, kind), expected, `${given} (${kind})`)
  t.throws(() => parseCliArgs(['--repo', 'ftp://example.org/os/', '--product', 'p'], {}), { name: 'ConfigError', message: '--repo: "ftp://example.org/os/": unsupported URL scheme "ftp:" (use http, https, file or a path)' })
  t.throws(() => parseCliArgs(['--repo', 'file://server/srv/repo', '--product', 'p'], {}), { name: 'ConfigError', message: '--repo: "file://server/srv/repo": a file:// URL must name a local file (host "server" is not this machine)' })
  t.throws(() => parseCliArgs(['--repo', 'http://exa mple.org/', '--product', 'p'], {}), { name: 'ConfigError', message: '--repo: "http://exa mple.org/": not a valid URL' })
})

t.test('the same repo given several ways is one repo: a relative --repo, its absolute path, its file:// URL', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'repo'))
  const rel = relative(process.cwd(), join(dir, 'repo'))
  const options = parseCliArgs(['--repo', rel, '--product', 'p', '--repo', `${join(dir, 'repo')}/`, '--product', 'p', '--repo', pathToFileURL(join(dir, 'repo')).href, '--product', 'p',
    '--repo', 'http://Example.org/os', '--product', 'p', '--repo', 'http://example.org:80/os/', '--product', 'p'], {})
  t.same(options.repos.map((r) => r.url), [join(dir, 'repo'), 'http://example.org/os/'])
  const file = jsonConfig(t, { products: [{ id: 'p', repos: [{ baseurl: 'repo' }, { baseurl: './repo/' }, { baseurl: 'http://user:secret@example.org/os' }] }] })
  const fromFile = readJsonConfig(file).repos
  t.same(fromFile.map((r) => [r.url, r.baseurls]), [[join(dirname(file), 'repo'), [join(dirname(file), 'repo')]], ['http://example.org/os/', ['http://example.org/os/']]], 'paths relative to the configuration file')
  t.same(fromFile[1]!.credentials, { 'example.org': 'user:secret' }, 'credentials leave the canonical URL too')
})

t.test('rows an earlier version stored in another form are renamed on the next run, or merged, or left for the operator', async (t) => {
  const { dbPath } = testDb(t)
  const [amzn2] = demoRepos(['amzn2'])
  const [al2023] = demoRepos(['al2023'])
  await ingestOk(t, dbPath, [amzn2!, al2023!])
  const db = new Database(dbPath)
  // As an earlier version wrote them: amzn2 with a trailing slash (renamed), an unused failed attempt at the
  // same path as al2023 (merged into it), a relative path (left: its folder is not known now).
  db.prepare('UPDATE repo SET url = ? WHERE url = ?').run(`${amzn2!.url}/`, amzn2!.url)
  db.prepare("INSERT INTO repo (product_id, url, kind, last_status) VALUES ('al2023', ?, 'baseurl', 'failed')").run(pathToFileURL(al2023!.url).href)
  const failedId = Number(db.prepare("SELECT id FROM repo WHERE last_status = 'failed'").pluck().get())
  db.prepare("INSERT INTO ingest_log (run_id, repo_id, url, started_at, finished_at, status) VALUES (1, ?, 'x', 'a', 'b', 'failed')").run(failedId)
  db.prepare("INSERT INTO repo (product_id, url, kind) VALUES ('al2023', 'repos/al2023/core-x86_64', 'baseurl')").run()
  db.close()

  const messages: string[] = []
  const summary = await runIngest({ dbPath, repos: [amzn2!, al2023!], log: { info: (m) => messages.push(m), warn: (m) => messages.push(m) } })
  t.same(summary.repos.map((r) => [r.url, r.status]), [[amzn2!.url, 'unchanged'], [al2023!.url, 'unchanged']], 'the renamed row kept its state: unchanged, nothing re-read')
  t.equal(messages[0], 'rewrote 2 repo URLs stored by an earlier version in their canonical form')
  t.same(readRows(dbPath, 'SELECT product_id, url FROM repo ORDER BY id'), [
    { product_id: 'amzn2', url: amzn2!.url },
    { product_id: 'al2023', url: al2023!.url },
    { product_id: 'al2023', url: 'repos/al2023/core-x86_64' }
  ])
  const al2023Id = readRows<{ id: number }>(dbPath, 'SELECT id FROM repo WHERE url = ?', al2023!.url)[0]!.id
  t.same(readRows(dbPath, "SELECT repo_id FROM ingest_log WHERE url = 'x'"), [{ repo_id: al2023Id }], 'the merged row\'s run log moved to the canonical row')
})

t.test('through the CLI: a configuration mistake is one line on stderr with a pointer to --help; --help prints the usage', async (t) => {
  const file = jsonConfig(t, { products: [{ id: 'epll', nmae: 'EPLL', repos: [oneRepo] }] })
  const res = await runCli(t, ['--config', file])
  t.equal(res.code, 2)
  t.equal(res.stdout, '')
  t.equal(res.stderr, `ingest: ${file}: products[0]: unknown key "nmae"; did you mean "name"? (see npm run ingest -- --help)\n`)

  const typo = await runCli(t, ['--repo', 'http://example.org/$relasever/', '--product', 'p'])
  t.equal(typo.code, 2)
  t.equal(typo.stderr, 'ingest: --repo http://example.org/$relasever/: unknown variable $relasever in "http://example.org/$relasever/"; did you mean $releasever? (see npm run ingest -- --help)\n')

  const help = await runCli(t, ['--help'])
  t.equal(help.code, 0)
  t.equal(help.stderr, '')
  t.equal(help.stdout, `${usage}\n`)
  t.match(help.stdout, /--enablerepo ID/)
  t.match(help.stdout, /--log-format text\|json/)
})
