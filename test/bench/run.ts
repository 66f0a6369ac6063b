// `npm run bench`: ingest speed against createrepo_c's own parser, serving speed of every kind of route
// against a constant-string route of the same size, and the static export (full, after one changed advisory,
// unchanged, and nginx serving it beside the live server), side by side in one run. Prints one table and
// writes the figures to test-output/bench.json. docs/benchmarks.md records the latest figures.
// `--only=export`: the ingest it needs, then the export part alone.
import autocannon from 'autocannon'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { createHash } from 'node:crypto'
import { generateUpdateinfo } from '../helpers/updateinfo-generator.js'
import { projectDir } from '../helpers/paths.js'
import { exportBench, exportTable, type ExportFigures } from './export-bench.js'
import { watchPeak } from './peak.js'

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const advisories = Number(args.get('advisories') ?? 20_000)
const packagesPer = Number(args.get('packages') ?? 8)
const duration = Number(args.get('duration') ?? 10)
const memoryDuration = Number(args.get('memory-duration') ?? 60)
const only = args.get('only') ?? 'all'
if (only !== 'all' && only !== 'export') throw new Error(`--only=${only}: give --only=export (or leave it out for everything)`)
const connections = 64
const work = mkdtempSync(join(tmpdir(), 'llsc-bench-'))
const nodeBin = process.execPath

interface IngestFigures { seconds: number, advisoriesPerSecond: number, peakRssMb: number }
interface RouteFigures { name: string, url: string, bytes: number, rps: number, p50: number, p99: number, errors: number, baselineRps: number, baselineP50: number, baselineP99: number, ratio: number }

function log (message: string): void { process.stderr.write(`${message}\n`) }

/** A repo as yum sees it: repodata/repomd.xml naming a gzip-compressed updateinfo of these bytes. */
async function publishRepo (root: string, open: Buffer, revision: number): Promise<void> {
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const gzPath = join(root, 'repodata', 'updateinfo.xml.gz')
  await pipeline(Readable.from([open]), createGzip(), createWriteStream(gzPath))
  const gz = readFileSync(gzPath)
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
  writeFileSync(join(root, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>${revision}</revision>
  <data type="updateinfo"><checksum type="sha256">${sha(gz)}</checksum><open-checksum type="sha256">${sha(open)}</open-checksum>
  <location href="repodata/updateinfo.xml.gz"/><timestamp>${revision}</timestamp><size>${gz.length}</size><open-size>${open.length}</open-size></data>
</repomd>
`)
}

/** The generated updateinfo (kept on disk for createrepo_c and the export's revised copy), served as revision 1. */
async function writeBenchRepo (root: string): Promise<{ xmlPath: string, xmlBytes: number }> {
  const xmlPath = join(work, 'updateinfo.xml')
  await pipeline(Readable.from(generateUpdateinfo({ advisories, packagesPerAdvisory: packagesPer })), createWriteStream(xmlPath))
  const open = readFileSync(xmlPath)
  await publishRepo(root, open, 1)
  return { xmlPath, xmlBytes: open.length }
}

async function serveDir (root: string): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!)))
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } catch { res.writeHead(404).end() }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  return { server, url: `http://127.0.0.1:${address.port}/` }
}

async function ingest (repoUrl: string, dbPath: string): Promise<IngestFigures & { output: string }> {
  const started = process.hrtime.bigint()
  const child = spawn(nodeBin, [join(projectDir, 'dist', 'bin', 'ingest.js'), '--repo', repoUrl, '--product', 'bench', '--db', dbPath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const peak = watchPeak(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr!.resume()
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const peakRssMb = peak()
  if (code !== 0) throw new Error(`ingest failed (${String(code)}): ${output}`)
  return { seconds, advisoriesPerSecond: advisories / seconds, peakRssMb, output }
}

function createrepoReference (xmlPath: string): { seconds: number | null, note: string } {
  const script = 'import sys, time\ntry:\n  import createrepo_c as c\nexcept ImportError:\n  print("missing"); sys.exit(0)\nui = c.UpdateInfo()\nt = time.perf_counter()\nc.xml_parse_updateinfo(sys.argv[1], ui)\nprint(time.perf_counter() - t, len(ui.updates))\n'
  // Debian's python3-createrepo-c installs for Debian's own python3, which may not be first on PATH.
  const python = statSync('/usr/bin/python3', { throwIfNoEntry: false }) === undefined ? 'python3' : '/usr/bin/python3'
  const res = spawnSync(python, ['-c', script, xmlPath], { encoding: 'utf8' })
  if (res.error !== undefined || res.status !== 0) return { seconds: null, note: 'python3 not available' }
  if (res.stdout.trim() === 'missing') return { seconds: null, note: 'not installed (apt-get install python3-createrepo-c)' }
  const [seconds, count] = res.stdout.trim().split(' ')
  return { seconds: Number(seconds), note: `parsed ${count ?? '?'} advisories` }
}

async function startServer (dbPath: string): Promise<{ child: ChildProcess, base: string }> {
  const child = spawn(nodeBin, ['--import', 'tsx', join(projectDir, 'test', 'bench', 'bench-server.ts'), dbPath], { stdio: ['ignore', 'pipe', 'inherit'], cwd: projectDir })
  const port = await new Promise<number>((resolve, reject) => {
    let text = ''
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString()
      const m = /listening (\d+)/.exec(text)
      if (m !== null) resolve(Number(m[1]))
    })
    child.on('exit', (code) => reject(new Error(`bench server exited (${String(code)})`)))
  })
  return { child, base: `http://127.0.0.1:${port}` }
}

function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) / 1024
}

interface Target { name: string, path: string, method?: 'GET' | 'POST', body?: string, headers?: Record<string, string> }

async function load (base: string, target: Target, seconds: number): Promise<{ rps: number, p50: number, p99: number, errors: number }> {
  const result = await autocannon({
    url: base + target.path,
    connections,
    duration: seconds,
    method: target.method ?? 'GET',
    body: target.body,
    headers: target.headers
  })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + result.non2xx }
}

async function main (): Promise<void> {
  log(`bench: ${advisories} advisories x ${packagesPer} packages, ${connections} connections, ${duration} s per route; work dir ${work}`)
  if (statSync(join(projectDir, 'dist', 'bin', 'ingest.js'), { throwIfNoEntry: false }) === undefined) {
    throw new Error('run "npm run build" first (npm run bench does)')
  }
  const repoRoot = join(work, 'repo')
  const { xmlPath, xmlBytes } = await writeBenchRepo(repoRoot)
  const { server: repoServer, url: repoUrl } = await serveDir(repoRoot)
  const dbPath = join(work, 'bench.db')

  log('ingest: first run')
  const first = await ingest(repoUrl, dbPath)
  log('ingest: unchanged re-run')
  const again = await ingest(repoUrl, dbPath)
  let reference: { seconds: number | null, note: string } = { seconds: null, note: 'not run (--only=export)' }
  let serving: { routes: RouteFigures[], memory: MemoryFigures } | null = null
  if (only === 'all') {
    log('createrepo_c reference')
    reference = createrepoReference(xmlPath)
    serving = await servingBench(dbPath)
  }
  // Last: it changes one advisory in the database.
  const exported = await exportBench({
    dbPath,
    work,
    xmlPath,
    advisories,
    duration,
    publish: async (xml, revision) => { await publishRepo(repoRoot, xml, revision) },
    ingest: async () => await ingest(repoUrl, dbPath),
    startLive: async () => {
      const { child, base } = await startServer(dbPath)
      return { base, stop: () => { child.kill('SIGTERM') } }
    },
    log
  })
  repoServer.close()

  const results = {
    date: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    only,
    input: { advisories, packagesPerAdvisory: packagesPer, xmlBytes },
    ingest: {
      first: { seconds: first.seconds, advisoriesPerSecond: first.advisoriesPerSecond, peakRssMb: first.peakRssMb },
      unchanged: { seconds: again.seconds },
      createrepoC: reference,
      ratio: reference.seconds === null ? null : first.seconds / reference.seconds
    },
    routes: serving?.routes ?? null,
    memory: serving?.memory ?? null,
    export: exported
  }
  mkdirSync(join(projectDir, 'test-output'), { recursive: true })
  writeFileSync(join(projectDir, 'test-output', 'bench.json'), `${JSON.stringify(results, null, 2)}\n`)
  printTable(results)
  rmSync(work, { recursive: true, force: true })
}

interface MemoryFigures { at10s: number, atEnd: number, max: number, growthAfterWarmup: number, requests: number, errors: number }

/** Every kind of route against the constant route of the same bytes, then memory under mixed load. */
async function servingBench (dbPath: string): Promise<{ routes: RouteFigures[], memory: MemoryFigures }> {
  log('serving')
  const { child, base } = await startServer(dbPath)
  const sample = (await (await fetch(`${base}/api/v1/advisories?limit=1`)).json()) as { items: Array<{ id: string, cves: string[], source_packages: string[] }> }
  const one = sample.items[0]!
  // A server's package list: names the advisories use, one in twenty behind its fixes, the rest current.
  const installed = Array.from({ length: 1000 }, (_, i) => `${['openssl', 'curl', 'kernel', 'glibc', 'nginx'][i % 5]!}${i % 97 === 0 ? '' : String(i % 97)}-${i % 20 === 0 ? '1.0.0' : '99.0.0'}-1.amzn2.${['x86_64', 'aarch64', 'noarch'][i % 3]!}`)
  const targets: Target[] = [
    { name: 'home page', path: '/' },
    { name: 'advisory page', path: `/bench/${encodeURIComponent(one.id)}` },
    { name: 'CVE page', path: `/cve/${one.cves[0]!}` },
    { name: 'package page', path: `/packages/${encodeURIComponent(one.source_packages[0]!)}` },
    { name: 'filtered list', path: '/?severity=critical&severity=important&type=security' },
    { name: 'search', path: '/?q=overflow+heap' },
    { name: 'RSS feed', path: '/feeds/advisories.rss' },
    { name: 'Atom feed', path: '/feeds/advisories.atom' },
    { name: 'API list', path: '/api/v1/advisories' },
    { name: 'API detail', path: `/api/v1/advisories/${encodeURIComponent(one.id)}?product=bench` },
    { name: 'POST query (1,000 packages)', path: '/api/v1/query', method: 'POST', body: JSON.stringify({ product: 'bench', packages: installed }), headers: { 'content-type': 'application/json' } }
  ]
  const routes: RouteFigures[] = []
  for (const target of targets) {
    const res = await fetch(base + target.path, { method: target.method ?? 'GET', body: target.body, headers: target.headers })
    const body = await res.text()
    const bytes = Buffer.byteLength(body)
    if (res.status !== 200) throw new Error(`${target.name}: ${target.path} answered ${res.status}`)
    const key = String(routes.length)
    await fetch(`${base}/__bench/constant/${key}`, { method: 'PUT', body, headers: { 'content-type': 'text/plain' } })
    await load(base, target, 1) // warm-up: first render, JIT
    const measured = await load(base, target, duration)
    const baseline = await load(base, { name: 'constant', path: `/__bench/constant/${key}` }, duration)
    routes.push({
      name: target.name,
      url: target.path.length > 60 ? `${target.path.slice(0, 57)}...` : target.path,
      bytes,
      ...measured,
      baselineRps: baseline.rps,
      baselineP50: baseline.p50,
      baselineP99: baseline.p99,
      ratio: measured.rps / baseline.rps
    })
    log(`  ${target.name}: ${Math.round(measured.rps)} req/s vs ${Math.round(baseline.rps)} (${(measured.rps / baseline.rps).toFixed(2)}x)`)
  }

  log(`memory: ${memoryDuration} s mixed load`)
  const memory: Array<{ second: number, rssMb: number }> = []
  const mixed = autocannon({
    url: base,
    connections,
    duration: memoryDuration,
    requests: targets.filter((t) => t.method !== 'POST').map((t) => ({ method: 'GET' as const, path: t.path }))
  })
  const started = Date.now()
  const sampler = setInterval(() => { memory.push({ second: Math.round((Date.now() - started) / 1000), rssMb: rssMb(child.pid!) }) }, 1000)
  const mixedResult = await mixed
  clearInterval(sampler)
  child.kill('SIGTERM')

  const afterWarmup = memory.filter((m) => m.second >= 10)
  return {
    routes,
    memory: {
      at10s: afterWarmup[0]?.rssMb ?? 0,
      atEnd: memory.at(-1)?.rssMb ?? 0,
      max: Math.max(...memory.map((m) => m.rssMb)),
      growthAfterWarmup: (memory.at(-1)?.rssMb ?? 0) - (afterWarmup[0]?.rssMb ?? 0),
      requests: mixedResult.requests.total,
      errors: mixedResult.errors + mixedResult.timeouts + mixedResult.non2xx
    }
  }
}

interface Results { input: { xmlBytes: number }, ingest: { first: IngestFigures, unchanged: { seconds: number }, createrepoC: { seconds: number | null, note: string }, ratio: number | null }, routes: RouteFigures[] | null, memory: MemoryFigures | null, export: ExportFigures }

function printTable (r: Results): void {
  const f = (n: number, d = 0): string => n.toFixed(d)
  const lines: string[] = []
  lines.push(`Ingest of ${advisories} advisories x ${packagesPer} packages (${f(r.input.xmlBytes / 1e6, 1)} MB uncompressed):`)
  lines.push(`  portal ingest            ${f(r.ingest.first.seconds, 2)} s   ${f(r.ingest.first.advisoriesPerSecond)} advisories/s   peak RSS ${f(r.ingest.first.peakRssMb)} MB`)
  lines.push(`  createrepo_c parse       ${r.ingest.createrepoC.seconds === null ? r.ingest.createrepoC.note : `${f(r.ingest.createrepoC.seconds, 2)} s (${r.ingest.createrepoC.note})`}`)
  lines.push(`  ratio (portal / c)       ${r.ingest.ratio === null ? 'n/a' : f(r.ingest.ratio, 2)}`)
  lines.push(`  unchanged re-run         ${f(r.ingest.unchanged.seconds, 2)} s (whole process)`)
  if (r.routes !== null && r.memory !== null) lines.push('', ...servingTable(r.routes, r.memory))
  lines.push('', ...exportTable(r.export, duration))
  process.stdout.write(`${lines.join('\n')}\n`)
}

function servingTable (routes: RouteFigures[], memory: MemoryFigures): string[] {
  const f = (n: number, d = 0): string => n.toFixed(d)
  const lines: string[] = []
  lines.push(`Serving, ${connections} connections, ${duration} s each (baseline: the same bytes as a constant string, same server):`)
  lines.push(`  ${'route'.padEnd(28)} ${'bytes'.padStart(8)} ${'req/s'.padStart(8)} ${'p50'.padStart(5)} ${'p99'.padStart(5)} ${'err'.padStart(4)} | ${'base req/s'.padStart(10)} ${'p50'.padStart(5)} ${'p99'.padStart(5)} | ratio`)
  for (const x of routes) {
    lines.push(`  ${x.name.padEnd(28)} ${String(x.bytes).padStart(8)} ${f(x.rps).padStart(8)} ${f(x.p50).padStart(5)} ${f(x.p99).padStart(5)} ${String(x.errors).padStart(4)} | ${f(x.baselineRps).padStart(10)} ${f(x.baselineP50).padStart(5)} ${f(x.baselineP99).padStart(5)} | ${f(x.ratio, 2)}`)
  }
  lines.push('')
  lines.push(`Memory over a ${memoryDuration} s mixed run: ${f(memory.at10s)} MB at 10 s, ${f(memory.atEnd)} MB at the end (growth ${f(memory.growthAfterWarmup, 1)} MB), max ${f(memory.max)} MB; ${memory.requests} requests, ${memory.errors} errors`)
  return lines
}

main().catch((err: Error) => { log(`bench failed: ${err.message}`); rmSync(work, { recursive: true, force: true }); process.exit(1) })
