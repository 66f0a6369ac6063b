// What the export prints: on a terminal a progress bar on stderr while it renders, then one summary line
// (what was written, kept and deleted, and any document skipped); `--json` prints the summary as JSON.
import type { ExportProgress, ExportSummary } from './run.js'

const number = (n: number): string => n.toLocaleString('en-US')

export function formatBytes (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function formatSummary (s: ExportSummary): string {
  const lines = s.skipped.map((k) => `export: skipped ${k.url}: ${k.reason}\n`)
  if (!s.settled) lines.push('export: the data kept changing while exporting (an ingest running?): some files may show an older version; run the export again\n')
  lines.push(`export: ${s.outDir}: ${number(s.documents)} documents in ${number(s.files)} files (${formatBytes(s.bytes)}): ` +
    `${number(s.written)} written, ${number(s.kept)} kept, ${number(s.deleted)} deleted (${s.seconds} s${s.passes > 1 ? `, ${s.passes} passes` : ''})\n`)
  return lines.join('')
}

/** The summary as `--json` prints it: counts and the skipped documents. */
export function summaryJson (s: ExportSummary): string {
  const { outDir, documents, files, bytes, written, kept, deleted, skipped, passes, settled, incremental, changesFrom, seconds, steps } = s
  return `${JSON.stringify({ out: outDir, documents, files, bytes, written, kept, deleted, skipped, passes, settled, incremental, changesFrom, seconds, steps })}\n`
}

/** A bar on the terminal (stderr), loaded only here so that scripts never pay for the library. */
export async function progressBar (stderr: NodeJS.WriteStream): Promise<ExportProgress> {
  const progress = (await import('cli-progress')).default
  const bar = new progress.SingleBar({ format: 'export [{bar}] {percentage}% | {value}/{total} documents', stream: stderr, hideCursor: true }, progress.Presets.shades_classic)
  let running = false
  return {
    start: (total) => { running = true; bar.start(total, 0) },
    advance: () => { bar.increment() },
    stop: () => { if (running) bar.stop(); running = false }
  }
}
