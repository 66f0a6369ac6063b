// Load while the data changes (`npm run test:stress`): 64 connections on a mix of pages, feeds and API
// calls for STRESS_SECONDS (60 by default) while an ingest of a changing repo runs every few seconds.
// Asserts zero errors, that no response ever shows a half-updated advisory, and flat server memory.
import t from 'tap'
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoSpec } from '../../ingest/config.js'
import { runIngest } from '../../ingest/run.js'
import { runCli } from '../helpers/cli.js'
import { projectDir, tempDir } from '../helpers/paths.js'
import { writeRepo } from '../helpers/repo-builder.js'
import { updateinfoText } from '../helpers/updateinfo-generator.js'

const seconds = Number(process.env.STRESS_SECONDS ?? 60)
const advisories = 1500

/** Every advisory of round N says N in its title and in every package release: a mix would show. */
function roundXml (round: number): string {
  return updateinfoText({ advisories, packagesPerAdvisory: 4, seed: 7 })
    .replace(/<title>/g, `<title>round ${round} `)
    .replace(/release="/g, `release="r${round}.`)
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

t.test(`${seconds} s of load while ingests change the data`, async (t) => {
  const dir = tempDir(t)
  const repo = join(dir, 'repo')
  const dbPath = join(dir, 'db.sqlite')
  const spec: RepoSpec = { productId: 'bench', productName: 'Bench', url: repo, kind: 'baseurl', baseurls: [repo], name: null, allowedHosts: [] }
  writeRepo(repo, roundXml(0))
  t.equal((await runIngest({ dbPath, repos: [spec] })).repos[0]?.status, 'ok')

  const server = spawn(process.execPath, ['--import', 'tsx', join('test', 'bench', 'bench-server.ts'), dbPath], { cwd: projectDir, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { server.kill('SIGKILL') })
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.on('data', (d: Buffer) => { const m = /listening (\d+)/.exec(d.toString()); if (m !== null) resolve(Number(m[1])) })
    server.on('exit', () => { reject(new Error('the server exited')) })
  })
  const base = `http://127.0.0.1:${port}`
  const id = 'EPLL-2016-00042'
  const sample = await (await fetch(`${base}/api/v1/advisories/${id}?product=bench`)).json() as { packages: Array<{ name: string }> }
  const paths = ['/', '/?severity=critical&type=security', '/?q=overflow', `/bench/${id}`, `/packages/${sample.packages[0]!.name}`, '/feeds/advisories.rss',
    '/feeds/advisories.atom', '/feeds/advisories.json', '/api/v1/advisories', `/api/v1/advisories/${id}?product=bench`, '/api/v1/products']

  // Ingests of the next round 2 s after the previous one ends, through the CLI as the worker runs them.
  let round = 0
  let ingests = 0
  const run = { stopping: false }
  const ingestLoop = (async () => {
    while (!run.stopping) {
      await new Promise((resolve) => setTimeout(resolve, 2000))
      if (run.stopping) break
      round++
      writeRepo(repo, roundXml(round))
      const res = await runCli(t, ['--db', dbPath, '--repo', repo, '--product', 'bench', '--json'])
      t.equal(res.code, 0, `ingest of round ${round}: ${res.stderr.slice(0, 200)}`)
      ingests++
    }
  })()

  // Consistency: the API record and the page of one advisory always come from one round.
  let checks = 0
  const inconsistent: string[] = []
  const checkLoop = (async () => {
    while (!run.stopping) {
      const json = await (await fetch(`${base}/api/v1/advisories/${id}?product=bench`)).json() as { title: string, packages: Array<{ release: string }> }
      const titleRound = /^round (\d+) /.exec(json.title)?.[1]
      const releaseRounds = new Set(json.packages.map((p) => /^r(\d+)\./.exec(p.release)?.[1]))
      if (releaseRounds.size !== 1 || !releaseRounds.has(titleRound)) inconsistent.push(`API: title round ${String(titleRound)}, package rounds ${[...releaseRounds].join(',')}`)
      const html = await (await fetch(`${base}/bench/${id}`)).text()
      const pageRounds = new Set([...html.matchAll(/(?:round |-r)(\d+)\./g)].map((m) => m[1]))
      const pageTitle = /<p class="lead">round (\d+) /.exec(html)?.[1]
      if (pageTitle === undefined || [...pageRounds].some((r) => r !== pageTitle)) inconsistent.push(`page: title round ${String(pageTitle)}, other rounds ${[...pageRounds].join(',')}`)
      checks++
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()

  const memory: Array<{ second: number, mb: number }> = []
  const started = Date.now()
  const sampler = setInterval(() => { memory.push({ second: (Date.now() - started) / 1000, mb: rssMb(server.pid!) }) }, 1000)
  const result = await autocannon({ url: base, connections: 64, duration: seconds, requests: paths.map((path) => ({ method: 'GET' as const, path })) })
  clearInterval(sampler)
  run.stopping = true
  await Promise.all([ingestLoop, checkLoop])

  const warm = memory.filter((m) => m.second >= Math.min(10, seconds / 3))
  const firstWarm = warm[0]?.mb ?? 0
  const lastFive = memory.slice(-5).map((m) => m.mb)
  const end = lastFive.reduce((a, b) => a + b, 0) / Math.max(1, lastFive.length)
  t.comment(`requests ${result.requests.total}, ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}`)
  t.comment(`ingests ${ingests} (last round ${round}), consistency checks ${checks}; server RSS ${firstWarm.toFixed(0)} MB after warm-up, ${end.toFixed(0)} MB at the end, max ${Math.max(...memory.map((m) => m.mb)).toFixed(0)} MB`)
  t.equal(result.errors, 0, 'no connection errors')
  t.equal(result.timeouts, 0, 'no timeouts')
  t.equal(result.non2xx, 0, 'every response 2xx')
  // Several rounds, not a rate: how many ingests fit in the run depends on the machine (a loaded CI box fits
  // fewer), and speed is the benchmark's business, not a test's.
  t.ok(ingests >= 3, `the data changed during the run (${ingests} ingests)`)
  t.ok(checks > 10, 'consistency was checked throughout')
  t.same(inconsistent, [], 'no response mixed two rounds of an advisory')
  t.ok(end - firstWarm < 64, `memory flat after warm-up (${firstWarm.toFixed(0)} -> ${end.toFixed(0)} MB)`)
})
