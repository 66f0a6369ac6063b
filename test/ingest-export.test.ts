// `npm run ingest -- --export DIR`: the worker brings the static export up to date after a run that changed
// advisories, or which repos fail (and the first time DIR has no manifest), leaves it alone when nothing changed, catches up an
// export that lags the data, and logs an export that fails or is skipped without changing its exit status.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCliArgs } from '../ingest/args.js'
import { ExportManifestStore } from '../db/export-manifest.js'
import { exportedStamp, exportTextLine, manifestName } from '../ingest/run-export.js'
import { runCli, spawnCli, waitUntil } from './helpers/cli.js'
import { readRows } from './helpers/db.js'
import { startServer, type TestServer } from './helpers/http-server.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

// Each export is a child process rendering the whole (small) site: a few seconds each.
t.setTimeout(300_000)

const publicUrl = 'https://security.example.org'

interface Advisory { n: number, description: string, updated?: string }

const updateinfo = (advisories: Advisory[]): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
${advisories.map((a) => `  <update from="security@lambda-linux.io" status="final" type="security" version="1">
    <id>EPLL-2030-000${a.n}</id>
    <title>Important: tool${a.n} security update</title>
    <issued date="2030-01-0${a.n} 10:00:00"/>
    ${a.updated === undefined ? '' : `<updated date="${a.updated}"/>`}
    <severity>Important</severity>
    <description>${a.description}</description>
    <references><reference href="https://www.cve.org/CVERecord?id=CVE-2030-100${a.n}" id="CVE-2030-100${a.n}" type="cve"/></references>
    <pkglist><collection short="epll"><package name="tool${a.n}" epoch="0" version="1.${a.n}" release="1" arch="x86_64" src="tool${a.n}-1.${a.n}-1.src.rpm"/></collection></pkglist>
  </update>`).join('\n')}
</updates>
`

const v1: Advisory[] = [
  { n: 1, description: 'The first flaw.' },
  { n: 2, description: 'The second flaw.' }
]
const v2 = v1.map((a) => a.n === 2 ? { ...a, description: 'The second flaw, worse than first thought.', updated: '2030-02-01 00:00:00' } : a)

interface LogLine { level: number, msg: string, status?: string, reason?: string, written?: number, kept?: number, deleted?: number, error?: string, exit_code?: number | null, out?: string }

const lines = (stdout: string): LogLine[] => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogLine)
const exportLines = (stdout: string): LogLine[] => lines(stdout).filter((l) => l.msg.startsWith('export '))

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

async function servedRepo (t: Teardown): Promise<{ dir: string, server: TestServer, dbPath: string, publish: (advisories: Advisory[]) => void }> {
  const dir = tempDir(t)
  const server = await startServer(t, { root: join(dir, 'www') })
  const publish = (advisories: Advisory[]): void => { writeRepo(join(dir, 'www', 'repo'), updateinfo(advisories)) }
  publish(v1)
  return { dir, server, dbPath: join(dir, 'db.sqlite'), publish }
}

const pagePath = (outDir: string, n: number): string => join(outDir, 'epll', `EPLL-2030-000${n}`, 'index.html')

t.test('the first run exports, an unchanged run does not, a changed advisory is exported, a lagging export is caught up', async (t) => {
  const { dir, server, dbPath, publish } = await servedRepo(t)
  const outDir = join(dir, 'site')
  const args = ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--export', outDir, '--log-format', 'json']

  const first = await runCli(t, [...args, '--export-public-url', publicUrl])
  t.equal(first.code, 0, first.stderr)
  const [made] = exportLines(first.stdout)
  t.match(made, { level: 30, msg: 'export ok', status: 'ok', reason: 'no export yet', out: outDir, kept: 0, deleted: 0 })
  t.ok(made!.written! > 100, `the whole site is written (${made!.written} files)`)
  t.ok(existsSync(join(outDir, manifestName)), 'the manifest exists')
  t.match(readFileSync(pagePath(outDir, 2), 'utf8'), 'The second flaw.', 'the advisory page is there')
  t.match(readFileSync(join(outDir, 'feeds', 'epll.rss'), 'utf8'), `${publicUrl}/epll/EPLL-2030-0002`, 'feeds link to the public address')

  // PUBLIC_URL serves as well as the flag (as under systemd, where llsc.env sets it for both units).
  const manifestBefore = statSync(join(outDir, manifestName)).mtimeMs
  const unchanged = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.equal(unchanged.code, 0, unchanged.stderr)
  t.same(exportLines(unchanged.stdout).map((l) => [l.msg, l.level]), [['export unchanged', 30]], 'nothing changed: no export runs')
  t.equal(statSync(join(outDir, manifestName)).mtimeMs, manifestBefore, 'the manifest is untouched')

  publish(v2)
  const changed = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.equal(changed.code, 0, changed.stderr)
  const [redone] = exportLines(changed.stdout)
  t.match(redone, { msg: 'export ok', reason: 'data changed', deleted: 0 })
  t.ok(redone!.written! > 0 && redone!.kept! > 0, `only what changed is written (${redone!.written} written, ${redone!.kept} kept)`)
  t.match(readFileSync(pagePath(outDir, 2), 'utf8'), 'The second flaw, worse than first thought.', 'the changed advisory has its new text')
  t.notMatch(readFileSync(pagePath(outDir, 2), 'utf8'), 'The second flaw.<', 'and not the old one')

  // Data changed by a run without --export: the next run with it sees the manifest's stamp behind the database's.
  publish(v1)
  t.equal((await runCli(t, ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--json'])).code, 0)
  t.match(readFileSync(pagePath(outDir, 2), 'utf8'), 'worse than first thought', 'the export still shows the old data')
  const caughtUp = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.equal(caughtUp.code, 0, caughtUp.stderr)
  t.match(exportLines(caughtUp.stdout), [{ msg: 'export ok', reason: 'export behind the data' }], 'the repo was unchanged, the export was behind')
  t.match(readFileSync(pagePath(outDir, 2), 'utf8'), 'The second flaw.', 'and is current again')

  // A mirror that starts failing shows on the exported products page, and one that recovers: the worker
  // exports when which repos fail changes, though no advisory did.
  const productsPage = (): string => readFileSync(join(outDir, 'products', 'index.html'), 'utf8')
  t.notMatch(productsPage(), 'failed the last ingest')
  rmSync(join(dir, 'www', 'repo', 'repodata', 'repomd.xml'))
  const failing = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.match(exportLines(failing.stdout), [{ msg: 'export ok', reason: 'repo health changed' }], 'the failure is exported')
  t.match(productsPage(), '1 repository failed the last ingest', 'the exported products page says so')
  const failingAgain = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.same(exportLines(failingAgain.stdout).map((l) => l.msg), ['export unchanged'], 'failing the same way again: nothing to export')
  publish(v1)
  const recovered = await runCli(t, args, { PUBLIC_URL: publicUrl })
  t.match(exportLines(recovered.stdout), [{ msg: 'export ok', reason: 'repo health changed' }], 'the recovery is exported')
  t.notMatch(productsPage(), 'failed the last ingest')
})

t.test('a failed export is an error line; the ingest is kept and the exit status is the ingest\'s', async (t) => {
  const { dir, server, dbPath } = await servedRepo(t)
  const notADir = join(dir, 'a-file')
  writeFileSync(notADir, 'not a directory\n')
  const args = ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--export', notADir, '--export-public-url', publicUrl]

  const json = await runCli(t, [...args, '--log-format', 'json'])
  t.equal(json.code, 0, 'the ingest succeeded: exit status 0 (the next run tries the export again)')
  const [failed] = exportLines(json.stdout)
  t.match(failed, { level: 50, msg: 'export failed', status: 'failed', reason: 'no export yet', out: notADir, exit_code: 1 })
  t.match(failed!.error, notADir, `the export's own message: ${failed!.error}`)
  t.same(readRows(dbPath, 'SELECT id FROM advisory ORDER BY id'), [{ id: 'EPLL-2030-0001' }, { id: 'EPLL-2030-0002' }], 'what was ingested stays')
  t.equal(readFileSync(notADir, 'utf8'), 'not a directory\n')
})

t.test('an export already writing DIR: the run logs it as skipped (beside --json\'s summary, on stderr)', async (t) => {
  const { dir, server, dbPath } = await servedRepo(t)
  const outDir = join(dir, 'site')
  // The export's journal, held by a live process (this test's): the export stops with status 75.
  mkdirSync(outDir)
  writeFileSync(join(outDir, '.llsc-export.running'), `pid ${process.pid}\n`)
  const run = await runCli(t, ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--export', outDir, '--export-public-url', publicUrl, '--json'])
  t.equal(run.code, 0)
  t.match(JSON.parse(run.stdout), { repos: [{ status: 'ok', added: 2 }] }, 'stdout holds only the summary')
  t.match(run.stderr, new RegExp(`^export: skipped ${outDir}: another export \\(pid ${process.pid}\\) is writing .*\\n$`))
  t.notOk(existsSync(join(outDir, manifestName)), 'nothing was exported')
})

t.test('--watch --export: the export follows each change, and SIGTERM stops the worker with status 0', async (t) => {
  const { dir, server, dbPath, publish } = await servedRepo(t)
  const outDir = join(dir, 'site')
  const worker = spawnCli(t, ['--repo', server.url('/repo/'), '--product', 'epll', '--db', dbPath, '--watch', '--interval', '1s', '--export', outDir, '--log-format', 'json'], { PUBLIC_URL: publicUrl })
  await waitUntil(() => existsSync(pagePath(outDir, 2)), 60_000)
  await waitUntil(() => exportLines(worker.stdout).length >= 2, 60_000)
  t.match(exportLines(worker.stdout).slice(0, 2), [{ msg: 'export ok' }, { msg: 'export unchanged' }], 'exported once, then left alone')

  publish(v2)
  await waitUntil(() => exportLines(worker.stdout).filter((l) => l.msg === 'export ok').length === 2, 60_000)
  t.match(readFileSync(pagePath(outDir, 2), 'utf8'), 'worse than first thought', 'the change is exported')
  t.match(exportLines(worker.stdout).filter((l) => l.msg === 'export ok').at(-1), { reason: 'data changed' })
  worker.child.kill('SIGTERM')
  const result = await worker.done
  t.equal(result.code, 0, 'a watch worker stopped by SIGTERM exits 0')
  t.same(exportLines(result.stdout).filter((l) => l.level >= 50), [], 'no export failed')
})

t.test('arguments: --export needs a public address, and its flags need --export', async (t) => {
  const repo = ['--repo', '/r', '--product', 'p']
  t.same(parseCliArgs([...repo, '--export', 'site', '--export-public-url', 'https://security.example.org/'], {}).export,
    { outDir: 'site', publicUrl, dynamicUrl: null })
  t.same(parseCliArgs(repo, { EXPORT_DIR: '/srv/site', PUBLIC_URL: publicUrl, DYNAMIC_URL: 'https://live.example.org' }).export,
    { outDir: '/srv/site', publicUrl, dynamicUrl: 'https://live.example.org' }, 'EXPORT_DIR turns it on from the environment')
  t.equal(parseCliArgs(repo, { PUBLIC_URL: publicUrl }).export, null, 'PUBLIC_URL alone exports nothing')
  t.equal(parseCliArgs(['--help'], { EXPORT_DIR: 'x' }).export, null, '--help is never refused')
  t.same(parseCliArgs([...repo, '--export', 'site', '--export-public-url', publicUrl, '--export-dynamic-url', 'https://live.example.org'], { DYNAMIC_URL: 'https://other.example.org' }).export?.dynamicUrl,
    'https://live.example.org', 'the flag wins over the variable')
  t.throws(() => parseCliArgs([...repo, '--export', 'site'], {}), { name: 'UsageError', message: '--export needs the portal\'s public address: --export-public-url URL (or PUBLIC_URL); feeds and API documents carry absolute links' })
  t.throws(() => parseCliArgs([...repo, '--export-public-url', publicUrl], {}), { name: 'UsageError', message: '--export-public-url only makes sense with --export DIR' })
  t.throws(() => parseCliArgs([...repo, '--export', 'site', '--export-public-url', 'https://example.org/security'], {}),
    { name: 'UsageError', message: '--export-public-url: "https://example.org/security" must be an origin without a path, query or credentials (the exported pages link from the root)' })
  t.throws(() => parseCliArgs([...repo, '--export', 'site'], { PUBLIC_URL: 'security.example.org' }), { name: 'UsageError', message: 'PUBLIC_URL: "security.example.org" is not a URL (for example https://security.example.org)' })
  t.throws(() => parseCliArgs([...repo, '--export', 'site', '--export-public-url', publicUrl, '--export-dynamic-url', 'ftp://x.org'], {}), { name: 'UsageError', message: '--export-dynamic-url: "ftp://x.org" is not an http or https URL' })

  const usage = await runCli(t, [...repo, '--export', 'site'])
  t.equal(usage.code, 2, 'a usage mistake is status 2, before anything is ingested')
  t.match(usage.stderr, /^ingest: --export needs the portal's public address: .* \(see npm run ingest -- --help\)\n$/)
})

t.test('the manifest gives the data stamp the export was made from', async (t) => {
  const dir = tempDir(t)
  t.equal(exportedStamp(join(dir, 'none')), null, 'no directory: no export yet')
  t.equal(exportedStamp(dir), null, 'no manifest: no export yet')
  const store = ExportManifestStore.open(join(dir, manifestName), { create: true })!
  t.equal(exportedStamp(dir), 'unknown', 'a manifest without a stamp: export to be sure')
  store.commit({ data: { generation: 7, changedAt: '2030-01-01T00:00:00Z' }, files: new Map(), removed: [], advisories: { all: [] } })
  store.close()
  t.same(exportedStamp(dir), { generation: 7, changedAt: '2030-01-01T00:00:00Z' })
  writeFileSync(join(dir, manifestName), 'garbage')
  t.equal(exportedStamp(dir), 'unknown', 'a file that is not a manifest: export to be sure')
  t.equal(exportTextLine('/srv/site', { status: 'ok', reason: 'data changed', durationMs: 900, summary: { documents: 10, files: 30, bytes: 1000, written: 5, kept: 25, deleted: 1, skipped: [], passes: 1, settled: true, seconds: 0.8 } }),
    'export: /srv/site: 5 written, 25 kept, 1 deleted (0.8 s; data changed)')
  t.equal(exportTextLine('/srv/site', { status: 'failed', reason: 'data changed', durationMs: 900, exitCode: 1, message: 'ENOSPC: no space left on device' }),
    'export: FAILED /srv/site: ENOSPC: no space left on device (exit status 1); the next run tries again')
})
