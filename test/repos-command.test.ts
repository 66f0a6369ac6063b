// `npm run repos`: listing products and repos, and removing one only when the operator says what becomes of
// its advisories (--withdraw keeps them, withdrawn; --delete deletes them), over a real database filled by the
// real worker; the server then shows the change on /products and /api/v1/products at once.
import t from 'tap'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { RepoSpec } from '../ingest/config.js'
import { acquireIngestLock } from '../ingest/lock.js'
import { reposUsage, runReposCommand } from '../ingest/repos-command.js'
import { runIngest } from '../ingest/run.js'
import { runCli } from './helpers/cli.js'
import { readRows, snapshot } from './helpers/db.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

interface Ran { code: number, stdout: string, stderr: string }

function repos (dbPath: string, ...argv: string[]): Ran {
  const ran = { stdout: '', stderr: '' }
  const sink = (key: 'stdout' | 'stderr'): NodeJS.WritableStream => ({ write: (s: string) => { ran[key] += s; return true } }) as unknown as NodeJS.WritableStream
  const code = runReposCommand([...argv, '--db', dbPath], {}, { stdout: sink('stdout'), stderr: sink('stderr') })
  return { code, ...ran }
}

const one = (dbPath: string, sql: string, ...params: unknown[]): unknown => Object.values(readRows(dbPath, sql, ...params)[0]!)[0]

/** A database with amzn2 (two repos listing the same advisories), rocky8 and alma9 (two repos), and the app over it. */
async function setup (t: Parameters<typeof testDb>[0] & Parameters<typeof ingestOk>[0]): Promise<{ dbPath: string, app: FastifyInstance, copy: RepoSpec, specs: RepoSpec[] }> {
  const { dir, dbPath } = testDb(t)
  const [amzn2] = demoRepos(['amzn2'])
  const mirror = join(dir, 'amzn2-copy')
  cpSync(amzn2!.url, mirror, { recursive: true })
  const copy: RepoSpec = { ...amzn2!, url: mirror, baseurls: [mirror], name: 'copy' }
  const specs = [amzn2!, copy, ...demoRepos(['rocky8', 'alma9'])]
  await ingestOk(t, dbPath, specs)
  const app = await testApp(t, { dbPath })
  return { dbPath, app, copy, specs }
}

async function productsApi (app: FastifyInstance): Promise<Record<string, string[]>> {
  const body = (await app.inject('/api/v1/products')).json() as { products: Array<{ id: string, repos: Array<{ url: string }> }> }
  return Object.fromEntries(body.products.map((p) => [p.id, p.repos.map((r) => r.url)]))
}

t.test('usage: a command, a product, and an explicit choice; one line each, pointing to --help', async (t) => {
  const { dbPath } = testDb(t)
  const cases: Array<[string[], string]> = [
    [[], 'give a command: list or remove'],
    [['lst'], 'unknown command "lst"; did you mean "list"?'],
    [['purge'], 'unknown command "purge" (commands: list, remove)'],
    [['list', 'amzn2'], 'list takes no arguments (got "amzn2")'],
    [['list', '--delete'], '--delete applies to remove, not to list'],
    [['remove'], 'remove takes a product and at most one repo: remove PRODUCT [REPO] --withdraw|--delete'],
    [['remove', 'amzn2'], 'refusing to remove without a choice: pass --withdraw to keep its advisories as withdrawn, or --delete to delete them'],
    [['remove', 'amzn2', '--withdraw', '--delete'], '--withdraw and --delete exclude each other: pass one'],
    [['remove', 'amzn2', '--json', '--delete'], '--json applies to list, not to remove'],
    [['remove', 'amzn2', '--withdrawn'], 'unknown option --withdrawn; did you mean --withdraw?']
  ]
  for (const [argv, message] of cases) t.same(repos(dbPath, ...argv), { code: 2, stdout: '', stderr: `repos: ${message} (see npm run repos -- --help)\n` }, message)
  t.same(repos(dbPath, 'list'), { code: 1, stdout: '', stderr: `repos: no database at ${dbPath} (give --db PATH or set DB_PATH)\n` })
})

t.test('through the CLI: --help prints the usage; remove without a choice changes nothing', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const before = snapshot(dbPath)
  const help = await runCli(t, ['--help'], {}, 'bin/repos.ts')
  t.same([help.code, help.stdout, help.stderr], [0, `${reposUsage}\n`, ''])
  const refused = await runCli(t, ['remove', 'amzn2', '--db', dbPath], {}, 'bin/repos.ts')
  t.same([refused.code, refused.stdout, refused.stderr], [2, '', 'repos: refusing to remove without a choice: pass --withdraw to keep its advisories as withdrawn, or --delete to delete them (see npm run repos -- --help)\n'])
  t.equal(snapshot(dbPath), before, 'nothing removed')
  const listed = await runCli(t, ['list', '--json', '--db', dbPath], {}, 'bin/repos.ts')
  t.equal(listed.code, 0, listed.stderr)
  t.match(JSON.parse(listed.stdout), { products: [{ id: 'amzn2', listed: true, repos: [{ status: 'ok' }] }] })
})

t.test('list: every product and repo, URL, last status and time, advisory counts; as text and JSON', async (t) => {
  const { dbPath, copy, specs } = await setup(t)
  const json = JSON.parse(repos(dbPath, 'list', '--json').stdout) as { products: Array<Record<string, unknown> & { repos: Array<Record<string, unknown>> }> }
  const amznCount = Number(one(dbPath, "SELECT count(*) FROM advisory WHERE product_id = 'amzn2'"))
  const row = (url: string): Record<string, unknown> => readRows(dbPath, 'SELECT last_run_at AS r, last_success_at AS s FROM repo WHERE url = ?', url)[0]!
  const amzn2 = json.products.find((p) => p.id === 'amzn2')!
  t.same(amzn2, {
    id: 'amzn2',
    name: 'Amazon Linux 2',
    advisories: amznCount,
    withdrawn: 0,
    listed: true,
    repos: [
      { name: 'copy', url: copy.url, kind: 'baseurl', status: 'ok', last_run_at: row(copy.url).r, last_success_at: row(copy.url).s, error: null, advisories: amznCount, withdrawn: 0, removed_at: null, note: null },
      { name: 'core x86_64', url: specs[0]!.url, kind: 'baseurl', status: 'ok', last_run_at: row(specs[0]!.url).r, last_success_at: row(specs[0]!.url).s, error: null, advisories: amznCount, withdrawn: 0, removed_at: null, note: null }
    ]
  })
  t.same(json.products.map((p) => p.id), ['alma9', 'amzn2', 'rocky8'])
  const text = repos(dbPath, 'list')
  t.equal(text.code, 0)
  t.match(text.stdout, `amzn2  Amazon Linux 2: ${amznCount} advisories, 0 withdrawn\n  copy  ${copy.url}\n    ok ${String(row(copy.url).r)}; lists ${amznCount} advisories\n`)
})

t.test('remove --withdraw: one repo of two loses only its copies; the last one withdraws and takes the product off /products', async (t) => {
  const { dbPath, app, copy, specs } = await setup(t)
  const ids = readRows<{ id: string }>(dbPath, "SELECT id FROM advisory WHERE product_id = 'amzn2' ORDER BY id").map((r) => r.id)
  const page = await app.inject('/products')
  t.match(page.body, copy.url)
  const generation = Number(one(dbPath, "SELECT value FROM meta WHERE key = 'data_generation'"))

  const first = repos(dbPath, 'remove', 'amzn2', 'copy', '--withdraw')
  t.same(first, { code: 0, stderr: '', stdout: `amzn2: removed repo copy (${copy.url}) (--withdraw)\namzn2: 0 advisories withdrawn (pages and history kept)\namzn2: ${ids.length} advisories stay: another repo of amzn2 lists them too\n` })
  t.same((await productsApi(app)).amzn2, [specs[0]!.url], 'the API shows the change at once')
  const after = await app.inject({ url: '/products', headers: { 'if-none-match': String(page.headers.etag) } })
  t.equal(after.statusCode, 200, 'the old ETag no longer matches')
  t.notMatch(after.body, copy.url)
  t.equal(Number(one(dbPath, "SELECT value FROM meta WHERE key = 'data_generation'")), generation + 1, 'the data generation moved')
  t.equal(one(dbPath, "SELECT count(*) FROM advisory WHERE product_id = 'amzn2' AND withdrawn = 1"), 0)

  const last = repos(dbPath, 'remove', 'amzn2', '--withdraw')
  t.same(last, { code: 0, stderr: '', stdout: `amzn2: removed repo core x86_64 (${specs[0]!.url}) (--withdraw)\namzn2: ${ids.length} advisories withdrawn (pages and history kept)\namzn2: no repo in use left: it is no longer on /products; its withdrawn advisories keep their pages (npm run repos -- remove amzn2 --delete deletes them)\n` })
  t.same(Object.keys(await productsApi(app)), ['alma9', 'rocky8'])
  t.notMatch((await app.inject('/products')).body, 'Amazon Linux 2')
  const detail = await app.inject(`/api/v1/advisories/${encodeURIComponent(ids[0]!)}?product=amzn2`)
  t.equal(detail.statusCode, 200, 'a withdrawn advisory keeps its page and content')
  t.match(detail.json(), { id: ids[0], withdrawn: true })
  t.equal((await app.inject(`/amzn2/${encodeURIComponent(ids[0]!)}`)).statusCode, 200)
  t.match(repos(dbPath, 'list').stdout, `amzn2  Amazon Linux 2: ${ids.length} advisories, ${ids.length} withdrawn; not on /products (every repo removed)\n`)
  t.same(repos(dbPath, 'remove', 'amzn2', '--withdraw'), { code: 1, stdout: '', stderr: 'repos: amzn2 has no repo in use: every one was removed with --withdraw; --delete deletes the advisories they keep\n' })

  // Ingesting the repo again brings it back, read afresh: its advisories are no longer withdrawn.
  const again = await runIngest({ dbPath, repos: [specs[0]!] })
  t.same(again.repos.map((r) => [r.status, r.changed]), [['ok', ids.length]])
  t.same((await productsApi(app)).amzn2, [specs[0]!.url])
  t.equal(one(dbPath, "SELECT count(*) FROM advisory WHERE product_id = 'amzn2' AND withdrawn = 1"), 0)
})

t.test('remove --delete: the advisories only that repo provided are deleted; a product left with nothing is deleted', async (t) => {
  const { dbPath, app, specs } = await setup(t)
  const [, , rocky8, baseos, appstream] = specs
  const rockyIds = readRows<{ pk: number }>(dbPath, "SELECT pk FROM advisory WHERE product_id = 'rocky8'").map((r) => r.pk)
  const baseosCount = Number(one(dbPath, 'SELECT count(*) FROM advisory_repo ar JOIN repo r ON r.id = ar.repo_id WHERE r.url = ?', baseos!.url))
  const almaCount = Number(one(dbPath, "SELECT count(*) FROM advisory WHERE product_id = 'alma9'"))

  t.same(repos(dbPath, 'remove', 'rocky8', rocky8!.url, '--delete'), { code: 0, stderr: '', stdout: `rocky8: deleted repo BaseOS x86_64 (${rocky8!.url}) (--delete)\nrocky8: ${rockyIds.length} advisories deleted\nrocky8: nothing of it is left: the product is deleted\n` })
  t.same(readRows(dbPath, "SELECT id FROM product WHERE id = 'rocky8'"), [])
  t.same(readRows(dbPath, `SELECT rowid FROM advisory_fts WHERE rowid IN (${rockyIds.join(',')})`), [], 'their search rows are gone')
  t.same(readRows(dbPath, `SELECT count(*) AS n FROM advisory_package WHERE advisory_pk IN (${rockyIds.join(',')})`), [{ n: 0 }])
  t.same(readRows(dbPath, 'SELECT count(*) AS n FROM ingest_log WHERE url = ?', rocky8!.url), [{ n: 0 }])
  t.same(Object.keys(await productsApi(app)), ['alma9', 'amzn2'])
  t.equal((await app.inject('/rocky8')).statusCode, 404)

  // By its name, one repo of two: alma9 stays, with the other repo's advisories.
  const byName = repos(dbPath, 'remove', 'alma9', 'BaseOS x86_64', '--delete')
  t.equal(byName.code, 0, byName.stderr)
  t.equal(byName.stdout, `alma9: deleted repo BaseOS x86_64 (${baseos!.url}) (--delete)\nalma9: ${baseosCount} advisories deleted\n`)
  t.equal(one(dbPath, "SELECT count(*) FROM advisory WHERE product_id = 'alma9'"), almaCount - baseosCount)
  t.same((await productsApi(app)).alma9, [appstream!.url])
})

t.test('mistakes about the data are named; a held lock is refused (exit 75); nothing changes', async (t) => {
  const { dbPath, specs } = await setup(t)
  const before = snapshot(dbPath)
  t.same(repos(dbPath, 'remove', 'amzn', '--delete'), { code: 1, stdout: '', stderr: `repos: no product "amzn" in ${dbPath}; did you mean "amzn2"?\n` })
  t.same(repos(dbPath, 'remove', 'fedora', '--delete'), { code: 1, stdout: '', stderr: `repos: no product "fedora" in ${dbPath} (products: alma9, amzn2, rocky8)\n` })
  t.same(repos(dbPath, 'remove', 'rocky8', 'appstream', '--delete'), { code: 1, stdout: '', stderr: `repos: rocky8 has no repo "appstream"; its repos: BaseOS x86_64 (${specs[2]!.url})\n` })
  // The repo in another spelling of its path is the same repo.
  t.equal(repos(dbPath, 'remove', 'rocky8', `file://${specs[2]!.url}/`, '--withdraw').code, 0)
  t.same(repos(dbPath, 'remove', 'rocky8', specs[2]!.url, '--withdraw').stderr, `repos: rocky8 repo ${specs[2]!.url} was removed with --withdraw already (${String(one(dbPath, 'SELECT removed_at FROM repo WHERE url = ?', specs[2]!.url))}); --delete deletes the advisories it keeps\n`)
  const afterWithdraw = snapshot(dbPath)
  t.not(afterWithdraw, before)

  const lock = acquireIngestLock(dbPath, 0)
  t.teardown(() => { lock.release() })
  t.same(repos(dbPath, 'remove', 'amzn2', '--delete'), { code: 75, stdout: '', stderr: `repos: another ingest is running on ${dbPath} (lock ${dbPath}.ingest-lock is held); try again when it has finished, or pass --wait\n` })
  t.equal(snapshot(dbPath), afterWithdraw)
})
