// The scale run (docs/benchmarks.md, "One million advisories"): `npm run build`, then
// `node --import tsx test/bench/scale.ts [--advisories=1000000] [--work=/tmp/llsc-scale] [--reuse] [--samples=20]`.
// Generates one product of N advisories x 8 packages (test/helpers/updateinfo-generator.ts) streamed to a repo
// on disk, ingests it with the built CLI (wall time, peak RSS, database size), migrates it, starts the real
// server and measures uncached and cached latency of list pages, a search and the API list, and the event
// loop's worst delay while the OSV bundle streams and while a 10,000-package query is answered.
// `--replicate=K` ingests advisories/K with the CLI and copies them in SQL up to N, for a machine that cannot
// ingest N in the time there is (the ingest figures are then those of N/K). `--reuse` keeps the database of an earlier run (generation and ingest are skipped). For a figure before a
// change: `--server-dir=DIR` serves with another checkout's test/bench/bench-server.ts (e.g. `git archive` of the
// old commit), `--no-migrate` leaves the schema as the ingest left it (an older program refuses a newer one).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { projectDir } from '../helpers/paths.js'
import { listPageSizes } from '../../server/pages/site-contents.js'
import { replicate } from './scale-replicate.js'
import { databaseBytes, ingestScaleRepo, writeScaleRepo, type IngestFigures } from './scale-data.js'
import { eventLoopMaxMs, fetchOnce, timeEach, underWatch, type Latency } from './scale-measure.js'

const { values } = parseArgs({
  options: {
    advisories: { type: 'string', default: '1000000' },
    /** Packages per advisory (a source and binaries); the recorded million-advisory run used 2. */
    packages: { type: 'string', default: '8' },
    work: { type: 'string', default: '/tmp/llsc-scale' },
    reuse: { type: 'boolean', default: false },
    samples: { type: 'string', default: '20' },
    'server-dir': { type: 'string', default: projectDir },
    'no-migrate': { type: 'boolean', default: false },
    /** Ingest advisories/K with the CLI, then copy that database into itself K times in SQL (scale-replicate.ts). */
    replicate: { type: 'string', default: '1' },
    'skip-osv': { type: 'boolean', default: false },
    'skip-routes': { type: 'boolean', default: false },
    /** The bundle before the query: the query's index of fixed packages (a large heap) makes GC pauses of its own. */
    'osv-first': { type: 'boolean', default: false },
    /** The OSV bundle of a million advisories takes minutes (twice: hashed for its ETag, then sent): read this long. */
    'osv-seconds': { type: 'string', default: '120' }
  }
})
const advisories = Number(values.advisories)
const samples = Number(values.samples)
const packagesPerAdvisory = Number(values.packages)
const copies = Number(values.replicate)
const work = values.work
const dbPath = join(work, `scale-${advisories}x${packagesPerAdvisory}.db`)
const product = 'scale'
const log = (line: string): void => { process.stderr.write(`${line}\n`) }
const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' ')

async function startServer (): Promise<{ child: ChildProcess, base: string }> {
  const dir = values['server-dir']
  const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'test', 'bench', 'bench-server.ts'), dbPath], { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir })
  const port = await new Promise<number>((resolve, reject) => {
    let text = ''
    const read = (d: Buffer): void => {
      text += d.toString()
      const m = /listening (\d+)/.exec(text)
      if (m !== null) { child.stdout!.off('data', read).resume(); resolve(Number(m[1])) }
    }
    child.stdout!.on('data', read)
    child.on('exit', (code) => { reject(new Error(`server exited (${String(code)})`)) })
  })
  return { child, base: `http://127.0.0.1:${port}` }
}

interface Route { name: string, paths: (i: number) => string }

// Uncached: each sample asks a URL the server has not answered yet (another page number, another word, another
// page size: the page cache keys on the canonical URL, so an ignored parameter would not do), so every answer is
// made from SQL. Cached: the first of them again and again.
function routes (pages: number, apiPages: number, cursor: string): Route[] {
  const deep = Math.floor(pages / 2)
  const words = ['openssl', 'kernel', 'curl', 'glibc', 'nginx', 'httpd', 'python3', 'sudo', 'bind', 'expat', 'libxml2', 'zlib', 'git', 'vim', 'perl', 'ruby', 'nodejs', 'redis', 'systemd', 'openssh', 'gnutls', 'krb5', 'samba', 'mariadb', 'postgresql']
  return [
    { name: 'list, first page', paths: (i) => i === 0 ? '/' : `/?per_page=${50 - i}` },
    { name: `list, deep page (~${deep} of ${pages})`, paths: (i) => `/page/${deep + i}` },
    { name: 'product list, deep page', paths: (i) => `/${product}/page/${deep - 1 - i}` },
    { name: 'search (one word)', paths: (i) => `/?q=${words[i % words.length]!}${i >= words.length ? String(i % 97) : ''}` },
    { name: 'API list, first page', paths: (i) => `/api/v1/advisories?limit=${100 - i}` },
    { name: 'API list, deep cursor (mid-list, 100 each)', paths: (i) => `/api/v1/advisories?limit=${100 - i}&cursor=${cursor}` },
    { name: `API pages, ~${Math.floor(apiPages / 2)} of ${apiPages} (1,000 each)`, paths: (i) => `/api/v1/products/${product}/advisories/page/${Math.floor(apiPages / 2) + i}.json` }
  ]
}

interface RouteFigures { name: string, uncached: Latency, cached: Latency, loopMaxMs: number, load: string }

async function measureRoutes (base: string): Promise<RouteFigures[]> {
  const out: RouteFigures[] = []
  // A cursor in the middle of the list: the last item of a path-only page there (not one of those measured).
  const apiPages = Math.ceil(advisories / 1000)
  const middle = await new Promise<{ items: Array<{ id: string, product: string, issued: string | null }> }>((resolve, reject) => {
    request(`${base}/api/v1/products/${product}/advisories/page/${Math.floor(apiPages / 2) - 5}.json`, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (s: string) => { body += s }).on('end', () => { resolve(JSON.parse(body)) })
    }).on('error', reject).end()
  })
  const last = middle.items.at(-1)!
  const cursor = Buffer.from(JSON.stringify([last.issued ?? '', last.id, last.product])).toString('base64url')
  for (const route of routes(Math.ceil(advisories / listPageSizes.list), apiPages, cursor)) {
    const watched = await underWatch(base, async () => {
      const uncached = await timeEach(base, Array.from({ length: samples }, (_, i) => route.paths(i)))
      const cached = await timeEach(base, Array.from({ length: samples * 5 }, () => route.paths(0)))
      return { uncached, cached }
    })
    out.push({ name: route.name, ...watched.result, loopMaxMs: watched.loopMaxMs, load: load() })
    log(`  ${route.name}: uncached p50 ${watched.result.uncached.p50.toFixed(1)} ms, p99 ${watched.result.uncached.p99.toFixed(1)} ms; cached p50 ${watched.result.cached.p50.toFixed(1)} ms; loop max ${watched.loopMaxMs.toFixed(0)} ms`)
  }
  return out
}

/**
 * 10,000 installed packages: 4,000 named as the generator names fixed packages (each compared with hundreds of
 * fixes), 6,000 it never fixed. Installed at the generator's highest version, so few fixes apply; one name in
 * fifty is old and has hundreds (the answer stays under the 50,000 findings an answer may list).
 */
function queryBody (): string {
  const stems = ['openssl', 'curl', 'glibc', 'kernel', 'nginx', 'httpd', 'python3', 'sudo', 'bind', 'expat']
  const subs = ['', '-devel', '-libs', '-tools']
  const packages = Array.from({ length: 10_000 }, (_, i) => i < 4000
    ? `${stems[i % 10]!}${Math.floor(i / 40) % 97 === 0 ? '' : String(Math.floor(i / 40) % 97)}${subs[Math.floor(i / 10) % 4]!}-${i % 50 === 0 ? '1.0.0' : '9.30.10'}-9.amzn2.x86_64`
    : `extra-package-${i}-1.0-1.x86_64`)
  return JSON.stringify({ product, packages })
}

interface StreamFigures { name: string, status: number, bytes: number, seconds: number, loopMaxMs: number, probeMaxMs: number, load: string }

async function measureStreams (base: string): Promise<StreamFigures[]> {
  const out: StreamFigures[] = []
  const body = queryBody()
  const cases: Array<[string, () => Promise<{ status: number, bytes: number, ms: number }>]> = [
    ['POST /api/v1/query, 10,000 packages (first: builds the index)', async () => await fetchOnce(base, '/api/v1/query', { method: 'POST', body, headers: { 'content-type': 'application/json' } })],
    ['POST /api/v1/query, 10,000 packages (index built)', async () => await fetchOnce(base, '/api/v1/query', { method: 'POST', body: body.replace('extra-package-9999', 'extra-package-x'), headers: { 'content-type': 'application/json' } })]
  ]
  const osvSeconds = Number(values['osv-seconds'])
  if (values['skip-osv'] !== true) cases[values['osv-first'] === true ? 'unshift' : 'push']([`GET /api/v1/osv/all.ndjson (first request, at most ${osvSeconds} s)`, async () => await fetchOnce(base, '/api/v1/osv/all.ndjson', { abortAfterMs: osvSeconds * 1000 })])
  for (const [name, run] of cases) {
    // A request the server drops (a timeout closing the socket) is a figure too: how long until it did.
    const started = performance.now()
    const watched = await underWatch(base, async () => await run().catch((err: Error) => {
      log(`  ${name}: ${err.message} after ${((performance.now() - started) / 1000).toFixed(1)} s`)
      return { status: 0, bytes: 0, ms: performance.now() - started }
    }))
    out.push({ name, status: watched.result.status, bytes: watched.result.bytes, seconds: watched.result.ms / 1000, loopMaxMs: watched.loopMaxMs, probeMaxMs: watched.probeMaxMs, load: load() })
    log(`  ${name}: ${watched.result.status}, ${(watched.result.bytes / 1e6).toFixed(1)} MB in ${(watched.result.ms / 1000).toFixed(1)} s; loop max ${watched.loopMaxMs.toFixed(0)} ms, /healthz max ${watched.probeMaxMs.toFixed(0)} ms`)
  }
  return out
}

async function main (): Promise<void> {
  if (!existsSync(join(projectDir, 'dist', 'bin', 'ingest.js'))) throw new Error('run "npm run build" first')
  mkdirSync(work, { recursive: true })
  log(`scale: ${advisories} advisories x ${packagesPerAdvisory} packages, one product "${product}", database ${dbPath}; load ${load()}`)
  let ingest: IngestFigures | null = null
  if (values.reuse && existsSync(dbPath)) {
    log('reusing the database (--reuse): no generation, no ingest')
  } else {
    const repo = join(work, `repo-${advisories}x${packagesPerAdvisory}`)
    const started = performance.now()
    const xmlBytes = await writeScaleRepo(repo, advisories / copies, packagesPerAdvisory)
    log(`generated ${advisories / copies} advisories, ${(xmlBytes / 1e6).toFixed(0)} MB, in ${((performance.now() - started) / 1000).toFixed(0)} s; ingesting`)
    ingest = await ingestScaleRepo(repo, dbPath)
    log(`ingest: ${ingest.seconds.toFixed(0)} s, peak RSS ${ingest.peakRssMb.toFixed(0)} MB, database ${(ingest.dbBytes / 1e9).toFixed(2)} GB; load ${load()}`)
    if (copies > 1) replicate(dbPath, copies, log)
  }
  let migrateSeconds: number | null = null
  if (values['no-migrate'] !== true) {
    const migrateStarted = performance.now()
    const migrated = spawnSync(process.execPath, [join(projectDir, 'dist', 'bin', 'migrate.js'), '--db', dbPath], { encoding: 'utf8' })
    if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr}`)
    migrateSeconds = (performance.now() - migrateStarted) / 1000
    log(`migrate: ${migrated.stdout.trim()} (${migrateSeconds.toFixed(1)} s)`)
  }
  const { child, base } = await startServer()
  try {
    const startLoop = await eventLoopMaxMs(base)
    log(`server up; load ${load()}`)
    const routeFigures = values['skip-routes'] === true ? [] : await measureRoutes(base)
    const streams = await measureStreams(base)
    const result = { date: new Date().toISOString(), advisories, dbBytes: databaseBytes(dbPath), ingest, migrateSeconds, startLoopMaxMs: startLoop, routes: routeFigures, streams }
    mkdirSync(join(projectDir, 'test-output'), { recursive: true })
    writeFileSync(join(projectDir, 'test-output', `scale-${advisories}.json`), `${JSON.stringify({ ...result, serverDir: values['server-dir'] }, null, 2)}\n`)
    process.stdout.write(table(result))
  } finally {
    child.kill('SIGTERM')
  }
}

function table (r: { advisories: number, dbBytes: number, ingest: IngestFigures | null, routes: RouteFigures[], streams: StreamFigures[] }): string {
  const f = (n: number): string => n.toFixed(1).padStart(7)
  const lines = [`Scale run, ${r.advisories} advisories, database ${(r.dbBytes / 1e9).toFixed(2)} GB`]
  if (r.ingest !== null) lines.push(`  ingest ${r.ingest.seconds.toFixed(0)} s, peak RSS ${r.ingest.peakRssMb.toFixed(0)} MB`)
  lines.push('  route                                        uncached p50     p99 |  cached p50     p99 | loop max ms | load')
  for (const x of r.routes) lines.push(`  ${x.name.padEnd(45)} ${f(x.uncached.p50)} ${f(x.uncached.p99)} | ${f(x.cached.p50)} ${f(x.cached.p99)} | ${f(x.loopMaxMs)}     | ${x.load}`)
  for (const s of r.streams) lines.push(`  ${s.name}: ${s.status}, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)} s, loop max ${s.loopMaxMs.toFixed(0)} ms, /healthz max ${s.probeMaxMs.toFixed(0)} ms (load ${s.load})`)
  return `${lines.join('\n')}\n`
}

await main()
