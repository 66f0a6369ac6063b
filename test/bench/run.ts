// `npm run bench`: ingest speed against createrepo_c's own parser, serving speed of every kind of route under
// wrk against a bare Fastify app answering the same bytes (serving-bench.ts), and the static export (full, after
// one changed advisory, unchanged, and nginx serving it beside the live server), side by side in one run. Prints
// one table and writes the figures to test-output/bench.json. docs/benchmarks.md records the latest figures.
// `--only=export`: the ingest it needs, then the export part alone.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
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
import { servingBench, servingTable, startServer, type ServingFigures } from './serving-bench.js'
import { haveWrk, wrkBinary } from './wrk.js'
import { serveDir } from './serve-dir.js'

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const advisories = Number(args.get('advisories') ?? 20_000)
const packagesPer = Number(args.get('packages') ?? 8)
const duration = Number(args.get('duration') ?? 10)
const warmup = Number(args.get('warmup') ?? 2)
const rounds = Number(args.get('rounds') ?? 1)
const memoryDuration = Number(args.get('memory-duration') ?? 60)
const only = args.get('only') ?? 'all'
if (only !== 'all' && only !== 'export') throw new Error(`--only=${only}: give --only=export (or leave it out for everything)`)
const work = mkdtempSync(join(tmpdir(), 'llsc-bench-'))
const nodeBin = process.execPath

interface IngestFigures { seconds: number, advisoriesPerSecond: number, peakRssMb: number }

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

async function main (): Promise<void> {
  log(`bench: ${advisories} advisories x ${packagesPer} packages, ${duration} s per route; work dir ${work}`)
  if (statSync(join(projectDir, 'dist', 'bin', 'ingest.js'), { throwIfNoEntry: false }) === undefined) {
    throw new Error('run "npm run build" first (npm run bench does)')
  }
  if (only === 'all' && !haveWrk()) throw new Error(`the serving part needs wrk (${wrkBinary}): apt-get install wrk (or --only=export)`)
  const repoRoot = join(work, 'repo')
  const { xmlPath, xmlBytes } = await writeBenchRepo(repoRoot)
  const { server: repoServer, url: repoUrl } = await serveDir(repoRoot)
  const dbPath = join(work, 'bench.db')

  log('ingest: first run')
  const first = await ingest(repoUrl, dbPath)
  log('ingest: unchanged re-run')
  const again = await ingest(repoUrl, dbPath)
  let reference: { seconds: number | null, note: string } = { seconds: null, note: 'not run (--only=export)' }
  let serving: ServingFigures | null = null
  if (only === 'all') {
    log('createrepo_c reference')
    reference = createrepoReference(xmlPath)
    serving = await servingBench({ dbPath, work, duration, warmup, rounds, memoryDuration, log })
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
      const { base, stop } = await startServer(dbPath)
      return { base, stop: () => { stop().catch((err: Error) => { log(`live server: ${err.message}`) }) } }
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
    serving,
    export: exported
  }
  mkdirSync(join(projectDir, 'test-output'), { recursive: true })
  writeFileSync(join(projectDir, 'test-output', 'bench.json'), `${JSON.stringify(results, null, 2)}\n`)
  printTable(results)
  rmSync(work, { recursive: true, force: true })
}

interface Results { input: { xmlBytes: number }, ingest: { first: IngestFigures, unchanged: { seconds: number }, createrepoC: { seconds: number | null, note: string }, ratio: number | null }, serving: ServingFigures | null, export: ExportFigures }

function printTable (r: Results): void {
  const f = (n: number, d = 0): string => n.toFixed(d)
  const lines: string[] = []
  lines.push(`Ingest of ${advisories} advisories x ${packagesPer} packages (${f(r.input.xmlBytes / 1e6, 1)} MB uncompressed):`)
  lines.push(`  portal ingest            ${f(r.ingest.first.seconds, 2)} s   ${f(r.ingest.first.advisoriesPerSecond)} advisories/s   peak RSS ${f(r.ingest.first.peakRssMb)} MB`)
  lines.push(`  createrepo_c parse       ${r.ingest.createrepoC.seconds === null ? r.ingest.createrepoC.note : `${f(r.ingest.createrepoC.seconds, 2)} s (${r.ingest.createrepoC.note})`}`)
  lines.push(`  ratio (portal / c)       ${r.ingest.ratio === null ? 'n/a' : f(r.ingest.ratio, 2)}`)
  lines.push(`  unchanged re-run         ${f(r.ingest.unchanged.seconds, 2)} s (whole process)`)
  if (r.serving !== null) lines.push('', ...servingTable(r.serving))
  lines.push('', ...exportTable(r.export, duration))
  process.stdout.write(`${lines.join('\n')}\n`)
}

main().catch((err: Error) => { log(`bench failed: ${err.message}`); rmSync(work, { recursive: true, force: true }); process.exit(1) })
