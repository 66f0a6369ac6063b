// The scale run's data: the generator's updateinfo streamed to a repo on disk, gzipped (never one string: at a
// million advisories it is 3 GB, over the worker's 512 MB download limit unless compressed), then ingested by
// the built CLI with its wall time and peak RSS.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { createGzip } from 'node:zlib'
import { generateUpdateinfo } from '../helpers/updateinfo-generator.js'
import { projectDir } from '../helpers/paths.js'
import { watchPeak } from './peak.js'

export interface IngestFigures { seconds: number, peakRssMb: number, dbBytes: number, summary: string }

/** Writes `repodata/updateinfo.xml.gz` and its repomd.xml; returns the uncompressed XML's size. */
export async function writeScaleRepo (root: string, advisories: number, packagesPerAdvisory: number): Promise<number> {
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const gzPath = join(root, 'repodata', 'updateinfo.xml.gz')
  const gzip = createGzip({ level: 4 })
  const out = createWriteStream(gzPath)
  const packed = createHash('sha256')
  gzip.on('data', (bytes: Buffer) => { packed.update(bytes); if (!out.write(bytes)) gzip.pause() })
  out.on('drain', () => gzip.resume())
  const open = createHash('sha256')
  let size = 0
  for (const chunk of generateUpdateinfo({ advisories, packagesPerAdvisory })) {
    const bytes = Buffer.from(chunk)
    open.update(bytes)
    size += bytes.length
    if (!gzip.write(bytes)) await once(gzip, 'drain')
  }
  gzip.end()
  await once(gzip, 'end')
  out.end()
  await once(out, 'finish')
  const gzSize = statSync(gzPath).size
  writeFileSync(join(root, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
  <data type="updateinfo"><checksum type="sha256">${packed.digest('hex')}</checksum><open-checksum type="sha256">${open.digest('hex')}</open-checksum>
  <location href="repodata/updateinfo.xml.gz"/><timestamp>1</timestamp><size>${gzSize}</size><open-size>${size}</open-size></data>
</repomd>
`)
  return size
}

/** Sum of the database file and its WAL and shared-memory files. */
export function databaseBytes (dbPath: string): number {
  let total = 0
  for (const suffix of ['', '-wal', '-shm']) total += statSync(dbPath + suffix, { throwIfNoEntry: false })?.size ?? 0
  return total
}

/** `node dist/bin/ingest.js --repo ROOT --product scale --db DB --json` at niceness 10 (the machine is shared), timed and watched. */
export async function ingestScaleRepo (root: string, dbPath: string): Promise<IngestFigures> {
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [join(projectDir, 'dist', 'bin', 'ingest.js'),
    '--repo', root, '--product', 'scale', '--db', dbPath, '--max-decompressed-size', '64G', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  setPriority(child.pid!, 10)
  const peak = watchPeak(child)
  let output = ''
  child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { output += d.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const peakRssMb = peak()
  if (code !== 0) throw new Error(`ingest failed (${String(code)}): ${output.slice(-2000)}`)
  return { seconds, peakRssMb, dbBytes: databaseBytes(dbPath), summary: output.trim() }
}
