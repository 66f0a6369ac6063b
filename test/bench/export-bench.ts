// The static export in `npm run bench`: a full export of the benchmark's database through the built CLI, the
// incremental re-export after one advisory changed (re-ingested from a revised repo), a re-export with nothing
// changed, and nginx serving an exported advisory page beside the live server answering the same URL (wrk).
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import type { ExportSummary } from '../../export/run.js'
import { projectDir } from '../helpers/paths.js'
import { watchPeak } from './peak.js'
import { haveNginx, startStaticNginx } from './static-nginx.js'
import { haveWrk, wrk, type WrkFigures } from './wrk.js'

export const benchPublicUrl = 'https://security.example.org'

/** The export's own figures (`seconds`: start to manifest), with the whole process's. */
export interface ExportRunFigures extends Pick<ExportSummary, 'seconds' | 'steps' | 'documents' | 'files' | 'bytes' | 'written' | 'kept' | 'deleted' | 'changesFrom'> {
  /** The whole process, Node's start included. */
  wallSeconds: number
  peakRssMb: number
}

export interface ServingPair { name: string, headers: Record<string, string>, nginx: WrkFigures & { bytes: number }, live: WrkFigures & { bytes: number }, ratio: number }

export interface ExportFigures {
  full: ExportRunFigures
  changed: { advisory: string, ingestSeconds: number, export: ExportRunFigures }
  unchanged: ExportRunFigures
  serving: { url: string, site: string, pairs: ServingPair[] } | { skipped: string }
}

export interface ExportBenchInput {
  dbPath: string
  work: string
  /** The uncompressed updateinfo the bench repo serves. */
  xmlPath: string
  advisories: number
  duration: number
  /** Serves these updateinfo bytes as the repo's new revision. */
  publish: (xml: Buffer, revision: number) => Promise<void>
  ingest: () => Promise<{ seconds: number }>
  startLive: () => Promise<{ base: string, stop: () => void }>
  log: (message: string) => void
}

/** The id the generator (test/helpers/updateinfo-generator.ts) gives its `n`th advisory (from 0). */
export const generatedId = (n: number): string => `EPLL-${2016 + Math.floor(n / 2000)}-${String(n + 1).padStart(5, '0')}`

/** The same file with one advisory revised: a new updated date and a changed description. */
export function reviseAdvisory (xml: string, id: string): string {
  const start = xml.indexOf(`<id>${id}</id>`)
  const end = xml.indexOf('</update>', start)
  if (start < 0 || end < 0) throw new Error(`bench: advisory ${id} is not in the generated updateinfo`)
  const revised = xml.slice(start, end)
    .replace(/<updated date="[^"]*"\/>/, '<updated date="2031-01-01 00:00"/>')
    .replace('<description>', '<description>Revised after publication: the fix is also needed on aarch64. ')
  if (revised === xml.slice(start, end) || !revised.includes('Revised after publication')) throw new Error(`bench: could not revise ${id}`)
  return xml.slice(0, start) + revised + xml.slice(end)
}

/** `node dist/bin/export.js ... --json`, its wall time and peak RSS. */
export async function runExportCli (dbPath: string, outDir: string): Promise<ExportRunFigures> {
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [join(projectDir, 'dist', 'bin', 'export.js'), '--db', dbPath, '--out', outDir, '--public-url', benchPublicUrl, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const peak = watchPeak(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9
  const peakRssMb = peak()
  if (code !== 0) throw new Error(`export failed (${String(code)}): ${stderr.trim()}`)
  const s = JSON.parse(stdout) as ExportSummary
  return { wallSeconds, seconds: s.seconds, steps: s.steps, changesFrom: s.changesFrom, documents: s.documents, files: s.files, bytes: s.bytes, written: s.written, kept: s.kept, deleted: s.deleted, peakRssMb }
}

/** The body's bytes as sent (fetch would decode a gzip body); anything but 200 is an error. */
async function bodyBytes (url: string, headers: Record<string, string>): Promise<number> {
  return await new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${url} answered ${res.statusCode ?? '?'}`)) })
      res.on('error', reject)
    }).on('error', reject)
  })
}

async function measure (url: string, seconds: number, headers: Record<string, string>): Promise<WrkFigures & { bytes: number }> {
  const bytes = await bodyBytes(url, headers)
  await wrk(url, 1, headers) // warm-up: the live server renders and caches, nginx reads the file into the page cache
  return { ...(await wrk(url, seconds, headers)), bytes }
}

async function servingFigures (input: ExportBenchInput, outDir: string, path: string): Promise<ExportFigures['serving']> {
  if (!haveWrk()) return { skipped: 'wrk is not installed (apt-get install wrk)' }
  if (!haveNginx()) return { skipped: 'nginx is not installed (apt-get install nginx-light)' }
  const nginxDir = join(input.work, 'nginx')
  mkdirSync(nginxDir, { recursive: true })
  const nginx = await startStaticNginx(nginxDir, outDir)
  const live = await input.startLive()
  try {
    const pairs: ServingPair[] = []
    for (const [name, headers] of [['identity', {}], ['gzip', { 'accept-encoding': 'gzip' }]] as Array<[string, Record<string, string>]>) {
      const fromNginx = await measure(`http://127.0.0.1:${nginx.port}${path}`, input.duration, headers)
      const fromLive = await measure(`${live.base}${path}`, input.duration, headers)
      pairs.push({ name, headers, nginx: fromNginx, live: fromLive, ratio: fromNginx.rps / fromLive.rps })
      input.log(`  ${path} (${name}): nginx ${Math.round(fromNginx.rps)} req/s, live server ${Math.round(fromLive.rps)} req/s`)
    }
    return { url: path, site: nginx.site, pairs }
  } finally {
    live.stop()
    await nginx.stop()
  }
}

export async function exportBench (input: ExportBenchInput): Promise<ExportFigures> {
  const outDir = join(input.work, 'site')
  input.log('export: full')
  const full = await runExportCli(input.dbPath, outDir)
  input.log(`  ${full.files} files, ${(full.bytes / 1e6).toFixed(1)} MB, ${full.seconds} s`)

  // One advisory in the middle of the repo revised, as a mirror would publish it, and ingested again.
  const changedId = generatedId(Math.floor(input.advisories / 2))
  input.log(`export: ${changedId} revised, re-ingested, re-exported`)
  await input.publish(Buffer.from(reviseAdvisory(readFileSync(input.xmlPath, 'utf8'), changedId)), 2)
  const reingest = await input.ingest()
  const changed = await runExportCli(input.dbPath, outDir)
  const page = readFileSync(join(outDir, 'bench', changedId, 'index.html'), 'utf8')
  if (!page.includes('Revised after publication')) throw new Error(`bench: the re-export did not rewrite ${changedId}'s page`)
  input.log(`  ${changed.written} written, ${changed.kept} kept, ${changed.deleted} deleted, ${changed.seconds} s`)

  input.log('export: nothing changed')
  const unchanged = await runExportCli(input.dbPath, outDir)
  input.log(`  ${unchanged.written} written, ${unchanged.seconds} s`)

  input.log('export: nginx serving the exported page beside the live server')
  const serving = await servingFigures(input, outDir, `/bench/${encodeURIComponent(generatedId(0))}`)
  return { full, changed: { advisory: changedId, ingestSeconds: reingest.seconds, export: changed }, unchanged, serving }
}

export function exportTable (r: ExportFigures, duration: number): string[] {
  const f = (n: number, d = 0): string => n.toFixed(d)
  const mb = (n: number): string => `${f(n / 1e6, 1)} MB`
  const lines: string[] = []
  lines.push('Static export (node dist/bin/export.js, whole process; the export\'s own time in brackets):')
  lines.push(`  full export              ${f(r.full.wallSeconds, 1)} s (${r.full.seconds} s)   ${r.full.documents} documents, ${r.full.files} files, ${mb(r.full.bytes)}   peak RSS ${f(r.full.peakRssMb)} MB`)
  lines.push(`  one advisory changed     ${f(r.changed.export.wallSeconds, 1)} s (${r.changed.export.seconds} s)   ${r.changed.export.written} written, ${r.changed.export.kept} kept, ${r.changed.export.deleted} deleted   peak RSS ${f(r.changed.export.peakRssMb)} MB   (re-ingest ${f(r.changed.ingestSeconds, 2)} s)`)
  const steps = (e: ExportRunFigures): string => Object.entries(e.steps).map(([step, seconds]) => `${step} ${f(seconds, 2)}`).join(', ')
  lines.push(`                           steps: ${steps(r.changed.export)} s; changes found from ${r.changed.export.changesFrom === 'log' ? 'the log' : 'every advisory'}`)
  lines.push(`  nothing changed          ${f(r.unchanged.wallSeconds, 1)} s (${r.unchanged.seconds} s)   ${r.unchanged.written} written   peak RSS ${f(r.unchanged.peakRssMb)} MB`)
  if ('skipped' in r.serving) {
    lines.push(`  serving                  skipped: ${r.serving.skipped}`)
    return lines
  }
  lines.push('')
  lines.push(`An exported advisory page (${r.serving.url}): nginx (${r.serving.site}, 1 worker) beside the live server, wrk -t1 -c64 -d${duration}s:`)
  lines.push(`  ${'encoding'.padEnd(10)} ${'bytes'.padStart(7)} ${'nginx req/s'.padStart(11)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'err'.padStart(4)} | ${'bytes'.padStart(7)} ${'live req/s'.padStart(10)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'err'.padStart(4)} | ratio`)
  for (const p of r.serving.pairs) {
    const side = (x: ServingPair['nginx'], width: number): string => `${String(x.bytes).padStart(7)} ${f(x.rps).padStart(width)} ${f(x.p50, 2).padStart(6)} ${f(x.p99, 2).padStart(6)} ${String(x.errors).padStart(4)}`
    lines.push(`  ${p.name.padEnd(10)} ${side(p.nginx, 11)} | ${side(p.live, 10)} | ${f(p.ratio, 1)}`)
  }
  return lines
}
