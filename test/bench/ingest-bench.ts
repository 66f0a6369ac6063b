// The ingest part of `npm run bench` on its own, repeatable: a generated updateinfo served over loopback HTTP
// as a real repo (repomd.xml + updateinfo.xml.gz), ingested into a new database by dist/bin/ingest.js (whole
// process: wall time, peak RSS), createrepo_c's parser on the same file as the reference, then the unchanged
// re-run (the average of 10). `--runs=N` repeats the first ingest and the reference N times, alternating, so
// both see the same load. `--baseline=DIR` runs DIR/dist/bin/ingest.js (another build, e.g. of an earlier
// commit) beside this one in every round, so a change is measured back to back on a busy machine.
// docs/benchmarks.md ("Ingest") records the figures.
//
//   npm run build && node --import tsx test/bench/ingest-bench.ts [--advisories=20000] [--packages=8] [--runs=1] [--reruns=10] [--baseline=DIR] [--reference=no]
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import { projectDir } from '../helpers/paths.js'
import { generateUpdateinfo } from '../helpers/updateinfo-generator.js'
import { watchPeak } from './peak.js'
import { serveDir } from './serve-dir.js'

const known = new Set(['advisories', 'packages', 'runs', 'reruns', 'keep', 'baseline', 'reference'])
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
for (const key of args.keys()) if (!known.has(key)) throw new Error(`unknown option --${key} (known: ${[...known].join(', ')})`)
const advisories = Number(args.get('advisories') ?? 20_000)
const packagesPer = Number(args.get('packages') ?? 8)
const runs = Number(args.get('runs') ?? 1)
const reruns = Number(args.get('reruns') ?? 10)
const ingestJs = join(projectDir, 'dist', 'bin', 'ingest.js')
const baselineJs = args.has('baseline') ? join(args.get('baseline')!, 'dist', 'bin', 'ingest.js') : null
/** The builds measured in each round: the baseline first when there is one. */
const builds = [...(baselineJs === null ? [] : [{ name: 'baseline', script: baselineJs }]), { name: 'this build', script: ingestJs }]

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

interface Run { seconds: number, peakRssMb: number, output: string }

async function ingest (script: string, repoUrl: string, dbPath: string): Promise<Run> {
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [script, '--repo', repoUrl, '--product', 'bench', '--db', dbPath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
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

interface Round { runs: Run[], reference: number | null, load: string }

const ratio = (seconds: number, reference: number | null): string => (reference === null ? 'n/a' : (seconds / reference).toFixed(2))

/** Each round: every build into a new database, then createrepo_c, so that they share the load of the moment. */
async function firstRuns (work: string, repoUrl: string, xmlPath: string): Promise<Round[]> {
  const rounds: Round[] = []
  for (let i = 0; i < runs; i++) {
    const before = load()
    const done: Run[] = []
    for (const [b, build] of builds.entries()) {
      const dbPath = join(work, `bench-${b}.db`)
      for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true })
      done.push(await ingest(build.script, repoUrl, dbPath))
    }
    // --reference=no: builds only (createrepo_c takes minutes at 20,000 on a busy machine).
    const reference = args.get('reference') === 'no' ? null : createrepoReference(xmlPath)
    rounds.push({ runs: done, reference, load: before })
    const each = done.map((r, b) => `${builds[b]!.name} ${r.seconds.toFixed(2)} s (${counts(r.output)}, peak RSS ${r.peakRssMb.toFixed(0)} MB, ratio ${ratio(r.seconds, reference)})`)
    log(`round ${i + 1}: ${each.join('; ')}; createrepo_c ${reference?.toFixed(2) ?? 'n/a'} s; load ${before}`)
  }
  return rounds
}

/** The unchanged re-run of each build on its own database, alternating, `reruns` times. */
async function reRuns (work: string, repoUrl: string): Promise<number[][]> {
  const times: number[][] = builds.map(() => [])
  for (let i = 0; i < reruns; i++) {
    for (const [b, build] of builds.entries()) {
      const run = await ingest(build.script, repoUrl, join(work, `bench-${b}.db`))
      if (!run.output.includes('"unchanged"')) throw new Error(`the re-run was not unchanged: ${run.output}`)
      times[b]!.push(run.seconds)
    }
  }
  return times
}

function table (rounds: Round[], times: number[][], rerunLoad: string): string {
  const lines = [`Ingest of ${advisories} advisories x ${packagesPer} packages over loopback HTTP (whole process):`]
  for (const [i, round] of rounds.entries()) {
    for (const [b, run] of round.runs.entries()) {
      lines.push(`  round ${i + 1} ${builds[b]!.name.padEnd(10)} ingest ${run.seconds.toFixed(2)} s  ${(advisories / run.seconds).toFixed(0)} advisories/s  peak RSS ${run.peakRssMb.toFixed(0)} MB | createrepo_c ${round.reference?.toFixed(2) ?? 'n/a'} s | ratio ${ratio(run.seconds, round.reference)} | load ${round.load}`)
    }
  }
  for (const [b, list] of times.entries()) {
    const average = list.reduce((a, c) => a + c, 0) / Math.max(1, list.length)
    lines.push(`  unchanged re-run ${builds[b]!.name.padEnd(10)} ${average.toFixed(3)} s average of ${list.length} (min ${Math.min(...list).toFixed(3)}, max ${Math.max(...list).toFixed(3)}) | load ${rerunLoad}`)
  }
  return `${lines.join('\n')}\n`
}

async function main (): Promise<void> {
  for (const build of builds) if (statSync(build.script, { throwIfNoEntry: false }) === undefined) throw new Error(`${build.script} is missing: run "npm run build" first`)
  const work = mkdtempSync(join(tmpdir(), 'llsc-ingest-bench-'))
  let server: Server | null = null
  try {
    const { xmlPath, xmlBytes, repoRoot } = await writeRepo(work)
    const served = await serveDir(repoRoot)
    server = served.server
    log(`ingest bench: ${advisories} advisories x ${packagesPer} packages (${(xmlBytes / 1e6).toFixed(1)} MB uncompressed), ${runs} round(s), ${cpus().length} cores, node ${process.version}; ${work}`)
    const rounds = await firstRuns(work, served.url, xmlPath)
    const rerunLoad = load()
    process.stdout.write(table(rounds, await reRuns(work, served.url), rerunLoad))
  } finally {
    server?.close()
    if (args.get('keep') === undefined) rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err: Error) => { log(`ingest bench failed: ${err.message}`); process.exitCode = 1 })
