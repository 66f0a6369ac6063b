// The serving part of `npm run bench` (run.ts calls servingBench), and on its own over an existing database:
//
//   node --import tsx test/bench/serving-bench.ts --db=PATH [--duration=5] [--warmup=2] [--rounds=1]
//        [--memory-duration=60] [--only=home,api-list,...] [--cpu-prof=DIR]
//
// Each route: the portal (dist/bin/serve.js, as `npm run serve` runs it: `npm run build` first) under wrk (one thread, 64
// connections) for `duration` seconds after a warm-up, then, in a process of its own, a bare Fastify app
// (baseline-server.ts) answering a Buffer of exactly the bytes the route answered, with the same content type
// and encoding, under the same wrk run. The ratio of the two is the portal's overhead over Fastify's floor.
// Then the memory run: the GET routes in turn for `memory-duration` seconds, the server's RSS every second.
// The database is copied first (the server opens it read-only, but SQLite's WAL index is written beside it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/nginx.js'
import { projectDir } from '../helpers/paths.js'
import { haveWrk, wrk, wrkBinary, wrkScript, type WrkFigures } from './wrk.js'

export const connections = 64

interface Target {
  /** Short name for --only. */
  key: string
  name: string
  path: string
  method?: 'GET' | 'POST'
  body?: string
  headers?: Record<string, string>
  /** A GET answered from the body cache once warm: the routes the 0.6x target is about. */
  cached: boolean
}

export interface RouteFigures {
  key: string
  name: string
  url: string
  method: string
  requestHeaders: Record<string, string>
  cached: boolean
  contentType: string
  contentEncoding: string | null
  /** The bytes of the body as sent (compressed when contentEncoding says so). */
  bytes: number
  rps: number
  p50: number
  p99: number
  errors: number
  baselineRps: number
  baselineP50: number
  baselineP99: number
  baselineErrors: number
  ratio: number
  /** The server's CPU time per request in µs (user and system, from /proc), the portal's and the baseline's. */
  cpuUs: number
  baselineCpuUs: number
  /** Each round's figures, when there were several rounds. */
  rounds: Array<{ rps: number, baselineRps: number, cpuUs: number, baselineCpuUs: number }>
}

export interface MemoryFigures { at10s: number, atEnd: number, max: number, growthAfterWarmup: number, requests: number, rps: number, errors: number }

export interface ServingFigures {
  tool: string
  connections: number
  duration: number
  warmup: number
  rounds: number
  /** What the measured server ran with (dist/bin/serve.js: `npm run serve`'s defaults, these variables and the raised query limit). */
  settings: { accessLog: string, logLevel: string, queryRateLimit: number }
  loadBefore: number[]
  loadAfter: number[]
  routes: RouteFigures[]
  memory: MemoryFigures | null
}

export interface ServingInput {
  dbPath: string
  /** A directory for the bodies, scripts and the database copy; removed by the caller. */
  work: string
  duration: number
  warmup?: number
  rounds?: number
  memoryDuration: number
  /** Route keys to measure (default: all). */
  only?: string[]
  /** Node flags for the portal's process (`--cpu-prof`, ...). */
  nodeArgs?: string[]
  log: (message: string) => void
}

/** A child that prints `listening PORT` (or, the portal's log, `Server listening at http://HOST:PORT`) once it listens. */
async function startListening (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess, port: number }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: projectDir, env })
  const port = await new Promise<number>((resolve, reject) => {
    let text = ''
    let found = false
    const onData = (d: Buffer): void => {
      if (found) return
      text += d.toString()
      const m = /listening (\d+)|listening at http:\/\/[^:]+:(\d+)/.exec(text)
      if (m !== null) { found = true; text = ''; resolve(Number(m[1] ?? m[2])) } else if (text.length > 65536) text = text.slice(-200)
    }
    // Kept reading to the end: the portal logs to stdout, and a full pipe would stall it.
    child.stdout!.on('data', onData)
    child.on('exit', (code) => { reject(new Error(`${args.at(-1) ?? 'server'} exited (${String(code)}) before listening`)) })
  })
  return { child, port }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  child.kill('SIGTERM')
  await exited
}

/**
 * The portal as `npm run serve` runs it: the compiled dist/bin/serve.js with its default settings (the JSON log on
 * stdout, the access log as ACCESS_LOG says, off by default), on a free loopback port. One setting differs: the
 * query rate limit (120 a minute per client address) is raised, or wrk would measure 429s.
 */
export async function startServer (dbPath: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess, base: string, stop: () => Promise<void> }> {
  const serve = join(projectDir, 'dist', 'bin', 'serve.js')
  if (!existsSync(serve)) throw new Error(`${serve} is missing: run "npm run build" first (npm run bench does)`)
  const port = await freePort()
  const { child } = await startListening([...nodeArgs, serve, '--db', dbPath, '--host', '127.0.0.1', '--port', String(port), '--query-rate-limit', String(benchQueryRateLimit)])
  return { child, base: `http://127.0.0.1:${port}`, stop: async () => { await stopChild(child) } }
}

/** The highest the setting takes: a load generator on one address never meets the limit. */
const benchQueryRateLimit = 9_999_999

/** The bare Fastify app answering `bodyFile` (baseline-server.ts). */
async function startBaseline (bodyFile: string, contentType: string, contentEncoding: string | null): Promise<{ child: ChildProcess, base: string, stop: () => Promise<void> }> {
  const { child, port } = await startListening(['--import', 'tsx', join(projectDir, 'test', 'bench', 'baseline-server.ts'), bodyFile, contentType, contentEncoding ?? ''])
  return { child, base: `http://127.0.0.1:${port}`, stop: async () => { await stopChild(child) } }
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** The CPU time a process has used (user and system), in seconds, from /proc. */
function cpuSeconds (pid: number): number {
  // The fields after the command name (which may hold spaces) in brackets: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / clockTicks
}

interface Measured extends WrkFigures {
  /** The server's CPU time per answered request (user and system), in µs: unlike requests per second, it hardly moves with what else the machine runs. */
  cpuUs: number
}

/** wrk against a server, with the server's CPU time over the run. */
async function measured (pid: number, url: string, seconds: number, headers: Record<string, string> | undefined, script: string | undefined): Promise<Measured> {
  const before = cpuSeconds(pid)
  const figures = await wrk(url, seconds, headers, connections, script)
  return { ...figures, cpuUs: (cpuSeconds(pid) - before) * 1e6 / Math.max(1, figures.requests) }
}

interface Answer { status: number, contentType: string, contentEncoding: string | null, body: Buffer }

/** The answer's bytes as sent (fetch would decode a compressed body). */
async function answerOf (url: string, target: Target): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: target.method ?? 'GET', headers: target.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const encoding = res.headers['content-encoding']
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', contentEncoding: encoding === undefined ? null : encoding, body: Buffer.concat(chunks) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(target.body)
  })
}

/** The routes: every kind of page, feed and API answer, two compressed, and the query. */
async function targetsOf (base: string, work: string): Promise<Target[]> {
  const sample = (await (await fetch(`${base}/api/v1/advisories?limit=1`)).json()) as { items: Array<{ id: string, cves: string[], source_packages: string[] }> }
  const one = sample.items[0]
  if (one === undefined) throw new Error('bench: the database holds no advisory')
  // A server's package list: names the advisories use, one in twenty behind its fixes, the rest current.
  const installed = Array.from({ length: 1000 }, (_, i) => `${['openssl', 'curl', 'kernel', 'glibc', 'nginx'][i % 5]!}${i % 97 === 0 ? '' : String(i % 97)}-${i % 20 === 0 ? '1.0.0' : '99.0.0'}-1.amzn2.${['x86_64', 'aarch64', 'noarch'][i % 3]!}`)
  const query = JSON.stringify({ product: 'bench', packages: installed })
  writeFileSync(join(work, 'query.json'), query)
  return [
    { key: 'home', name: 'home page', path: '/', cached: true },
    { key: 'advisory', name: 'advisory page', path: `/bench/${encodeURIComponent(one.id)}`, cached: true },
    { key: 'advisory-gzip', name: 'advisory page, gzip', path: `/bench/${encodeURIComponent(one.id)}`, headers: { 'accept-encoding': 'gzip' }, cached: true },
    { key: 'cve', name: 'CVE page', path: `/cve/${one.cves[0]!}`, cached: true },
    { key: 'package', name: 'package page', path: `/packages/${encodeURIComponent(one.source_packages[0]!)}`, cached: true },
    { key: 'filtered', name: 'filtered list', path: '/?severity=critical&severity=important&type=security', cached: true },
    { key: 'search', name: 'search', path: '/?q=overflow+heap', cached: true },
    { key: 'rss', name: 'RSS feed', path: '/feeds/advisories.rss', cached: true },
    { key: 'atom', name: 'Atom feed', path: '/feeds/advisories.atom', cached: true },
    { key: 'api-list', name: 'API list', path: '/api/v1/advisories', cached: true },
    { key: 'api-list-br', name: 'API list, br', path: '/api/v1/advisories', headers: { 'accept-encoding': 'gzip, deflate, br' }, cached: true },
    { key: 'api-detail', name: 'API detail', path: `/api/v1/advisories/${encodeURIComponent(one.id)}?product=bench`, cached: true },
    { key: 'healthz', name: '/healthz', path: '/healthz', cached: false },
    { key: 'query', name: 'POST query (1,000 packages)', path: '/api/v1/query', method: 'POST', body: query, headers: { 'content-type': 'application/json' }, cached: false }
  ]
}

/** The middle run by requests per second (of an even number, the upper one). */
const middle = <R extends WrkFigures>(runs: R[]): R => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!
const sameBytes = (a: Answer, b: Answer): boolean => a.status === b.status && a.contentType === b.contentType && a.contentEncoding === b.contentEncoding && a.body.equals(b.body)

async function measureRoute (portal: string, portalPid: number, target: Target, input: Required<Pick<ServingInput, 'work' | 'duration' | 'warmup' | 'rounds' | 'log'>>): Promise<RouteFigures> {
  const url = portal + target.path
  const first = await answerOf(url, target)
  if (first.status !== 200) throw new Error(`${target.name}: ${target.path} answered ${first.status}`)
  const bodyFile = join(input.work, `body-${target.key}`)
  writeFileSync(bodyFile, first.body)
  const script = target.method === 'POST' ? wrkScript(join(input.work, `${target.key}.lua`), { method: 'POST', bodyFile: join(input.work, 'query.json') }) : undefined
  const baseline = await startBaseline(bodyFile, first.contentType, first.contentEncoding)
  try {
    const fromBaseline = await answerOf(baseline.base + target.path, target)
    if (!sameBytes(first, fromBaseline)) throw new Error(`${target.name}: the baseline does not answer the same bytes`)
    const run = async (pid: number, base: string): Promise<Measured> => {
      await wrk(base + target.path, input.warmup, target.headers, connections, script)
      return await measured(pid, base + target.path, input.duration, target.headers, script)
    }
    const portalRuns: Measured[] = []
    const baselineRuns: Measured[] = []
    for (let round = 0; round < input.rounds; round++) {
      portalRuns.push(await run(portalPid, portal))
      baselineRuns.push(await run(baseline.child.pid!, baseline.base))
    }
    // Still the same bytes after the load: the portal answered what the baseline answered throughout.
    if (!sameBytes(first, await answerOf(url, target))) throw new Error(`${target.name}: the answer changed during the run`)
    const p = middle(portalRuns)
    const b = middle(baselineRuns)
    const rps = p.rps
    const baselineRps = b.rps
    return {
      key: target.key,
      name: target.name,
      url: target.path,
      method: target.method ?? 'GET',
      requestHeaders: target.headers ?? {},
      cached: target.cached,
      contentType: first.contentType,
      contentEncoding: first.contentEncoding,
      bytes: first.body.length,
      rps,
      p50: p.p50,
      p99: p.p99,
      errors: portalRuns.reduce((sum, r) => sum + r.errors, 0),
      baselineRps,
      baselineP50: b.p50,
      baselineP99: b.p99,
      baselineErrors: baselineRuns.reduce((sum, r) => sum + r.errors, 0),
      ratio: rps / baselineRps,
      cpuUs: p.cpuUs,
      baselineCpuUs: b.cpuUs,
      rounds: portalRuns.map((r, i) => ({ rps: r.rps, baselineRps: baselineRuns[i]!.rps, cpuUs: r.cpuUs, baselineCpuUs: baselineRuns[i]!.cpuUs }))
    }
  } finally {
    await baseline.stop()
  }
}

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

async function memoryRun (portal: { base: string, child: ChildProcess }, targets: Target[], seconds: number, work: string): Promise<MemoryFigures> {
  const paths = targets.filter((t) => t.method !== 'POST' && t.headers === undefined).map((t) => t.path)
  const script = wrkScript(join(work, 'mixed.lua'), { paths })
  const memory: Array<{ second: number, rssMb: number }> = []
  const started = Date.now()
  const sampler = setInterval(() => { memory.push({ second: Math.round((Date.now() - started) / 1000), rssMb: rssMb(portal.child.pid!) }) }, 1000)
  const result = await wrk(portal.base, seconds, {}, connections, script)
  clearInterval(sampler)
  const afterWarmup = memory.filter((m) => m.second >= 10)
  return {
    at10s: afterWarmup[0]?.rssMb ?? 0,
    atEnd: memory.at(-1)?.rssMb ?? 0,
    max: Math.max(...memory.map((m) => m.rssMb)),
    growthAfterWarmup: (memory.at(-1)?.rssMb ?? 0) - (afterWarmup[0]?.rssMb ?? 0),
    requests: result.requests,
    rps: result.rps,
    errors: result.errors
  }
}

/** Every route against the bare Fastify app answering its bytes, then memory under mixed load. */
export async function servingBench (input: ServingInput): Promise<ServingFigures> {
  if (!haveWrk()) throw new Error(`the serving bench needs wrk (${wrkBinary}): apt-get install wrk`)
  const options = { work: input.work, duration: input.duration, warmup: input.warmup ?? 2, rounds: input.rounds ?? 1, log: input.log }
  input.log(`serving: wrk -t1 -c${connections}, ${options.warmup} s warm-up + ${options.duration} s per route${options.rounds > 1 ? `, ${options.rounds} rounds (the middle one)` : ''}`)
  const loadBefore = loadavg()
  const portal = await startServer(input.dbPath, input.nodeArgs)
  try {
    const targets = await targetsOf(portal.base, input.work)
    const chosen = input.only === undefined ? targets : targets.filter((t) => input.only!.includes(t.key))
    if (chosen.length === 0) throw new Error(`--only: none of ${input.only?.join(', ') ?? ''} is a route (${targets.map((t) => t.key).join(', ')})`)
    const routes: RouteFigures[] = []
    for (const target of chosen) {
      const figures = await measureRoute(portal.base, portal.child.pid!, target, options)
      routes.push(figures)
      input.log(`  ${target.name}: ${Math.round(figures.rps)} req/s against ${Math.round(figures.baselineRps)} (${figures.ratio.toFixed(2)}x), p99 ${figures.p99.toFixed(2)} ms, ${figures.errors} errors; CPU ${Math.round(figures.cpuUs)} µs a request against ${Math.round(figures.baselineCpuUs)}`)
    }
    let memory: MemoryFigures | null = null
    if (input.memoryDuration > 0) {
      input.log(`memory: ${input.memoryDuration} s mixed load`)
      memory = await memoryRun(portal, targets, input.memoryDuration, input.work)
    }
    return {
      tool: `wrk -t1 -c${connections}`,
      connections,
      duration: options.duration,
      warmup: options.warmup,
      rounds: options.rounds,
      settings: { accessLog: process.env.ACCESS_LOG ?? 'off', logLevel: process.env.LOG_LEVEL ?? 'info', queryRateLimit: benchQueryRateLimit },
      loadBefore,
      loadAfter: loadavg(),
      routes,
      memory
    }
  } finally {
    await portal.stop()
  }
}

export function servingTable (r: ServingFigures): string[] {
  const f = (n: number, d = 0): string => n.toFixed(d)
  const lines: string[] = []
  lines.push(`Serving, ${r.tool}, ${r.warmup} s warm-up + ${r.duration} s per route${r.rounds > 1 ? `, the middle of ${r.rounds} rounds` : ''}; access log ${r.settings.accessLog}, log level ${r.settings.logLevel}`)
  lines.push('(baseline: a bare Fastify app in its own process answering the same bytes; p50 and p99 in ms; CPU µs: the server\'s')
  lines.push(' CPU time per request, user and system; * = not a cached GET, no 0.6x target)')
  lines.push(`  ${'route'.padEnd(29)} ${'bytes'.padStart(7)} ${'req/s'.padStart(7)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'err'.padStart(4)} ${'CPU µs'.padStart(6)} | ${'base req/s'.padStart(10)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'CPU µs'.padStart(6)} | ratio`)
  for (const x of r.routes) {
    lines.push(`  ${(x.name + (x.cached ? '' : ' *')).padEnd(29)} ${String(x.bytes).padStart(7)} ${f(x.rps).padStart(7)} ${f(x.p50, 2).padStart(6)} ${f(x.p99, 2).padStart(6)} ${String(x.errors).padStart(4)} ${f(x.cpuUs).padStart(6)} | ${f(x.baselineRps).padStart(10)} ${f(x.baselineP50, 2).padStart(6)} ${f(x.baselineP99, 2).padStart(6)} ${f(x.baselineCpuUs).padStart(6)} | ${f(x.ratio, 2)}`)
  }
  if (r.memory !== null) {
    const m = r.memory
    lines.push('')
    lines.push(`Memory over the mixed run: ${f(m.at10s)} MB at 10 s, ${f(m.atEnd)} MB at the end (growth ${f(m.growthAfterWarmup, 1)} MB), max ${f(m.max)} MB; ${m.requests} requests (${f(m.rps)} req/s), ${m.errors} errors`)
  }
  lines.push(`Load average (1, 5, 15 min) before ${r.loadBefore.map((n) => f(n, 2)).join(' ')}, after ${r.loadAfter.map((n) => f(n, 2)).join(' ')}`)
  return lines
}

async function main (): Promise<void> {
  const known = new Set(['db', 'duration', 'warmup', 'rounds', 'memory-duration', 'only', 'cpu-prof', 'json'])
  const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
  for (const key of args.keys()) if (!known.has(key)) throw new Error(`unknown option --${key} (known: ${[...known].join(', ')})`)
  const db = args.get('db')
  if (db === undefined) throw new Error('give --db=PATH: a database to serve (npm run bench builds one)')
  const work = mkdtempSync(join(tmpdir(), 'llsc-serving-'))
  const log = (message: string): void => { process.stderr.write(`${message}\n`) }
  try {
    const dbPath = join(work, 'bench.db')
    copyFileSync(db, dbPath)
    const profDir = args.get('cpu-prof')
    if (profDir !== undefined) mkdirSync(resolve(profDir), { recursive: true })
    const results = await servingBench({
      dbPath,
      work,
      duration: Number(args.get('duration') ?? 5),
      warmup: Number(args.get('warmup') ?? 2),
      rounds: Number(args.get('rounds') ?? 1),
      memoryDuration: Number(args.get('memory-duration') ?? 0),
      only: args.get('only')?.split(','),
      nodeArgs: profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`],
      log
    })
    const out = { date: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, ...results }
    const jsonPath = args.get('json') ?? join(projectDir, 'test-output', 'serving.json')
    mkdirSync(join(jsonPath, '..'), { recursive: true })
    writeFileSync(jsonPath, `${JSON.stringify(out, null, 2)}\n`)
    process.stdout.write(`${servingTable(results).join('\n')}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => { process.stderr.write(`serving bench failed: ${err.message}\n`); process.exit(1) })
}
