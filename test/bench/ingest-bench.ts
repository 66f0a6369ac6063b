// The ingest part of `npm run bench` on its own, repeatable: a generated updateinfo served over loopback HTTP
// as a real repo (repomd.xml + updateinfo.xml.gz), ingested into a new database by dist/bin/ingest.js (whole
// process: wall time, peak RSS), createrepo_c's parser on the same file as the reference, then the unchanged
// re-run (the average of 10). `--runs=N` repeats the first ingest and the reference N times, alternating, so
// both see the same load. docs/benchmarks.md ("Ingest") records the figures.
//
//   npm run build && node --import tsx test/bench/ingest-bench.ts [--advisories=20000] [--packages=8] [--runs=1] [--reruns=10]
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import { projectDir } from '../helpers/paths.js'
import { generateUpdateinfo } from '../helpers/updateinfo-generator.js'
import { watchPeak } from './peak.js'

const known = new Set(['advisories', 'packages', 'runs', 'reruns', 'keep'])
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
for (const key of args.keys()) if (!known.has(key)) throw new Error(`unknown option --${key} (known: ${[...known].join(', ')})`)
const advisories = Number(args.get('advisories') ?? 20_000)
const packagesPer = Number(args.get('packages') ?? 8)
const runs = Number(args.get('runs') ?? 1)
const reruns = Number(args.get('reruns') ?? 10)
const ingestJs = join(projectDir, 'dist', 'bin', 'ingest.js')

function log (message: string): void { process.stderr.write(`${message}\n`) }
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

/** The generated file on disk (createrepo_c reads it), published gzip-compressed with its repomd.xml. */
async function writeRepo (work: string): Promise<{ xmlPath: string, xmlBytes: number, repoRoot: string }> {
  const xmlPath = join(work, 'updateinfo.xml')
  await pipeline(Readable.from(generateUpdateinfo({ advisories, packagesPerAdvisory: packagesPer })), createWriteStream(xmlPath))
  const open = readFileSync(xmlPath)
  const gz = gzipSync(open)
  const repoRoot = join(work, 'repo')
  mkdirSync(join(repoRoot, 'repodata'), { recursive: true })
  writeFileSync(join(repoRoot, 'repodata', 'updateinfo.xml.gz'), gz)
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
  writeFileSync(join(repoRoot, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
  <data type="updateinfo"><checksum type="sha256">${sha(gz)}</checksum><open-checksum type="sha256">${sha(open)}</open-checksum>
  <location href="repodata/updateinfo.xml.gz"/><timestamp>1</timestamp><size>${gz.length}</size><open-size>${open.length}</open-size></data>
</repomd>
`)
  return { xmlPath, xmlBytes: open.length, repoRoot }
}

/** A plain static server with Node's defaults (keep-alive on), as a mirror would answer. */
async function serveDir (root: string): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!)))
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } catch { res.writeHead(404).end() }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }
}

interface Run { seconds: number, peakRssMb: number, output: string }

async function ingest (repoUrl: string, dbPath: string): Promise<Run> {
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [ingestJs, '--repo', repoUrl, '--product', 'bench', '--db', dbPath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const peak = watchPeak(child)
  let output = ''
  let errors = ''
  child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { errors += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const peakRssMb = peak()
  if (code !== 0) throw new Error(`ingest failed (${String(code)}): ${output}${errors}`)
  return { seconds, peakRssMb, output }
}

/** createrepo_c's own parser, timed around the parse call only (as run.ts does). */
function createrepoReference (xmlPath: string): number | null {
  const script = 'import sys, time\nimport createrepo_c as c\nui = c.UpdateInfo()\nt = time.perf_counter()\nc.xml_parse_updateinfo(sys.argv[1], ui)\nprint(time.perf_counter() - t, len(ui.updates))\n'
  // Debian's python3-createrepo-c installs for Debian's own python3, which may not be first on PATH.
  const python = statSync('/usr/bin/python3', { throwIfNoEntry: false }) === undefined ? 'python3' : '/usr/bin/python3'
  const res = spawnSync(python, ['-c', script, xmlPath], { encoding: 'utf8' })
  if (res.status !== 0) {
    log(`createrepo_c reference not available (apt-get install -y python3-createrepo-c): ${res.stderr.trim().split('\n').at(-1) ?? ''}`)
    return null
  }
  const [seconds, count] = res.stdout.trim().split(' ')
  if (Number(count) !== advisories) throw new Error(`createrepo_c parsed ${count ?? '?'} advisories, expected ${advisories}`)
  return Number(seconds)
}

function counts (output: string): string {
  const repo = (JSON.parse(output) as { repos: Array<{ status: string, added: number, unchanged: number }> }).repos[0]!
  return `${repo.status} added=${repo.added} unchanged=${repo.unchanged}`
}

interface Pair { ingest: Run, reference: number | null, load: string }

async function firstRuns (work: string, repoUrl: string, xmlPath: string): Promise<{ pairs: Pair[], dbPath: string }> {
  const pairs: Pair[] = []
  let dbPath = ''
  for (let i = 0; i < runs; i++) {
    dbPath = join(work, `bench-${i}.db`)
    const before = load()
    const run = await ingest(repoUrl, dbPath)
    const reference = createrepoReference(xmlPath)
    pairs.push({ ingest: run, reference, load: before })
    const ratio = reference === null ? 'n/a' : (run.seconds / reference).toFixed(2)
    log(`run ${i + 1}: ingest ${run.seconds.toFixed(2)} s (${counts(run.output)}), peak RSS ${run.peakRssMb.toFixed(0)} MB; createrepo_c ${reference?.toFixed(2) ?? 'n/a'} s; ratio ${ratio}; load ${before}`)
    if (i < runs - 1) rmSync(dbPath, { force: true })
  }
  return { pairs, dbPath }
}

async function main (): Promise<void> {
  if (statSync(ingestJs, { throwIfNoEntry: false }) === undefined) throw new Error('run "npm run build" first')
  const work = mkdtempSync(join(tmpdir(), 'llsc-ingest-bench-'))
  let server: Server | null = null
  try {
    const { xmlPath, xmlBytes, repoRoot } = await writeRepo(work)
    const served = await serveDir(repoRoot)
    server = served.server
    log(`ingest bench: ${advisories} advisories x ${packagesPer} packages (${(xmlBytes / 1e6).toFixed(1)} MB uncompressed), ${runs} run(s), ${cpus().length} cores, node ${process.version}; ${work}`)
    const { pairs, dbPath } = await firstRuns(work, served.url, xmlPath)
    const rerunLoad = load()
    const times: number[] = []
    for (let i = 0; i < reruns; i++) {
      const run = await ingest(served.url, dbPath)
      if (!run.output.includes('"unchanged"')) throw new Error(`the re-run was not unchanged: ${run.output}`)
      times.push(run.seconds)
    }
    const average = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)
    const lines = pairs.map((p, i) => `  run ${i + 1}  ingest ${p.ingest.seconds.toFixed(2)} s  ${(advisories / p.ingest.seconds).toFixed(0)} advisories/s  peak RSS ${p.ingest.peakRssMb.toFixed(0)} MB | createrepo_c ${p.reference?.toFixed(2) ?? 'n/a'} s | ratio ${p.reference === null ? 'n/a' : (p.ingest.seconds / p.reference).toFixed(2)} | load ${p.load}`)
    lines.push(`  unchanged re-run  ${average.toFixed(3)} s average of ${times.length} (min ${Math.min(...times).toFixed(3)}, max ${Math.max(...times).toFixed(3)}) | load ${rerunLoad}`)
    process.stdout.write(`Ingest of ${advisories} advisories x ${packagesPer} packages over loopback HTTP (whole process):\n${lines.join('\n')}\n`)
  } finally {
    server?.close()
    if (args.get('keep') === undefined) rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err: Error) => { log(`ingest bench failed: ${err.message}`); process.exitCode = 1 })
