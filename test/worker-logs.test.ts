// The worker's structured logs: without a terminal, one JSON line per repo (and per warning, disabled repo and
// run) on stdout, in the server's pino shape; `--log-format text` (or LOG_FORMAT=text) gives the log lines
// and table people read; `--json` still gives the summary alone.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PassThrough } from 'node:stream'
import { acquireIngestLock } from '../ingest/lock.js'
import { jsonLinesOutput } from '../ingest/run-output.js'
import { runCli } from './helpers/cli.js'
import { readRows } from './helpers/db.js'
import { demoRepos, testDb } from './helpers/test-app.js'

const [amzn2] = demoRepos(['amzn2'])

/** How the pipeline names the checksum it found unchanged. */
function checksumNote (dbPath: string): string {
  const { type, sum } = readRows<{ type: string, sum: string }>(dbPath, "SELECT checksum_type AS type, checksum AS sum FROM repo WHERE product_id = 'amzn2'")[0]!
  return `${type} ${sum.slice(0, 12)}…`
}

function jsonLines (stdout: string): Array<Record<string, unknown>> {
  return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Time and durations vary: checked for their type, then left out. */
function steady (line: Record<string, unknown>): Record<string, unknown> {
  const { time, duration_ms: duration, ...rest } = line
  if (typeof time !== 'number' || (duration !== undefined && typeof duration !== 'number')) throw new Error(`time or duration_ms is not a number: ${JSON.stringify(line)}`)
  return rest
}

t.test('without a terminal the default is JSON lines on stdout: one per repo, one for the run', async (t) => {
  const { dir, dbPath } = testDb(t)
  const missing = join(dir, 'missing')
  const res = await runCli(t, ['--db', dbPath, '--repo', amzn2!.url, '--product', 'amzn2', '--repo', missing, '--product', 'gone'])
  t.equal(res.code, 1)
  t.equal(res.stderr, '', 'nothing on stderr')
  const added = readRows<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM advisory')[0]!.n
  t.ok(added > 0)
  const lines = jsonLines(res.stdout)
  t.same(lines.map(steady), [
    { level: 30, msg: 'repo ok', product: 'amzn2', repo: amzn2!.url, repo_name: null, status: 'ok', added, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, warnings: 0, error: null, notes: [] },
    { level: 50, msg: 'repo failed', product: 'gone', repo: missing, repo_name: null, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, warnings: 0, error: readRows<{ e: string }>(dbPath, "SELECT last_error AS e FROM repo WHERE product_id = 'gone'")[0]!.e, notes: [] },
    { level: 50, msg: 'run failed', run_id: 1, status: 'failed', repos: 2, failed: 1 }
  ])
  t.match(lines[1]!.error, /does not exist/)

  const unchangedNote = `amzn2 ${pathToFileURL(amzn2!.url).href}/: updateinfo unchanged (${checksumNote(dbPath)})`
  const again = await runCli(t, ['--db', dbPath, '--repo', amzn2!.url, '--product', 'amzn2'], { LOG_FORMAT: 'json' })
  t.equal(again.code, 0, again.stderr)
  t.same(jsonLines(again.stdout).map(steady), [
    { level: 30, msg: 'repo unchanged', product: 'amzn2', repo: amzn2!.url, repo_name: null, status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, warnings: 0, error: null, notes: [unchangedNote] },
    { level: 30, msg: 'run ok', run_id: 2, status: 'ok', repos: 1, failed: 0 }
  ])
})

t.test('a disabled repo is a line of its own; the repo name of a configuration is in repo_name', async (t) => {
  const { dir, dbPath } = testDb(t)
  const config = join(dir, 'config.json')
  writeFileSync(config, JSON.stringify({ products: [{ id: 'amzn2', repos: [{ baseurl: amzn2!.url, name: 'core' }, { baseurl: join(dir, 'debug'), enabled: false }] }] }))
  const res = await runCli(t, ['--db', dbPath, '--config', config])
  t.equal(res.code, 0, res.stderr)
  const lines = jsonLines(res.stdout).map(steady)
  t.same(lines[0], { level: 30, msg: 'repo disabled', product: 'amzn2', source: `${config}: products[0].repos[1] (${join(dir, 'debug')})`, status: 'disabled', reason: '"enabled": false' })
  t.match(lines[1], { msg: 'repo ok', repo: amzn2!.url, repo_name: 'core' })
  t.equal(lines.length, 3)

  const text = await runCli(t, ['--db', dbPath, '--config', config, '--log-format', 'text'])
  t.equal(text.code, 0, text.stderr)
  t.equal(text.stderr, [
    `amzn2: skipped ${config}: products[0].repos[1] (${join(dir, 'debug')}): "enabled": false`,
    `amzn2: ingesting ${amzn2!.url}`,
    `amzn2 ${pathToFileURL(amzn2!.url).href}/: updateinfo unchanged (${checksumNote(dbPath)})`,
    `amzn2: unchanged ${amzn2!.url} added=0 changed=0 unchanged=0 withdrawn=0 skipped=0`,
    ''
  ].join('\n'))
  t.match(text.stdout, /^product +status +added/)

  const summary = await runCli(t, ['--db', dbPath, '--config', config, '--json'])
  t.same(JSON.parse(summary.stdout), {
    repos: [{ product: 'amzn2', url: amzn2!.url, status: 'unchanged', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: null }],
    disabled: [{ product: 'amzn2', source: `${config}: products[0].repos[1] (${join(dir, 'debug')})`, reason: '"enabled": false' }]
  })
})

t.test('a run that cannot start is one JSON line too (here: another ingest holds the lock, exit 75)', async (t) => {
  const { dbPath } = testDb(t)
  const lock = acquireIngestLock(dbPath, 0)
  t.teardown(() => { lock.release() })
  const res = await runCli(t, ['--db', dbPath, '--repo', amzn2!.url, '--product', 'amzn2'])
  t.equal(res.code, 75)
  t.equal(res.stderr, '')
  t.same(jsonLines(res.stdout).map(steady), [{ level: 50, msg: 'run failed', status: 'failed', repos: 1, error: `another ingest is running on ${dbPath} (lock ${dbPath}.ingest-lock is held); try again when it has finished, or pass --wait` }])
})

t.test('the exact lines, with a fixed clock', async (t) => {
  const stdout = new PassThrough()
  let text = ''
  stdout.on('data', (b: Buffer) => { text += b.toString() })
  let clock = 1_700_000_000_000
  const out = jsonLinesOutput({ stdout, stderr: new PassThrough() }, () => clock)
  out.runStart([])
  out.log.warn('amzn2 http://example.org/os/: trying the next mirror')
  out.repoStart({ ...amzn2!, name: 'core' })
  clock += 1500
  out.log.info('amzn2 http://example.org/os/: updateinfo unchanged')
  out.repoDone({ product: 'amzn2', url: 'http://example.org/os/', status: 'ok', added: 3, changed: 1, unchanged: 7, withdrawn: 2, skipped: 0, error: null, checksum: 'c', warnings: 1 })
  out.runDone({ runId: 9, repos: [], interrupted: true })
  out.nextCheck(900_000)
  t.equal(text, [
    '{"level":40,"time":1700000000000,"msg":"amzn2 http://example.org/os/: trying the next mirror"}',
    '{"level":30,"time":1700000001500,"msg":"repo ok","product":"amzn2","repo":"http://example.org/os/","repo_name":"core","status":"ok","added":3,"changed":1,"unchanged":7,"withdrawn":2,"skipped":0,"warnings":1,"duration_ms":1500,"error":null,"notes":["amzn2 http://example.org/os/: updateinfo unchanged"]}',
    '{"level":50,"time":1700000001500,"msg":"run interrupted","run_id":9,"status":"interrupted","repos":0,"failed":0,"duration_ms":1500}',
    '{"level":30,"time":1700000001500,"msg":"next check","next_check_in_s":900}',
    ''
  ].join('\n'))
})
