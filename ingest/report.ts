// The end-of-run summary: a table for people, JSON for machines.
import type { RunSummary } from './run.js'

export function jsonSummary (summary: RunSummary): { repos: Array<Record<string, unknown>> } {
  return {
    repos: summary.repos.map((r) => ({
      product: r.product,
      url: r.url,
      status: r.status,
      added: r.added,
      changed: r.changed,
      unchanged: r.unchanged,
      withdrawn: r.withdrawn,
      skipped: r.skipped,
      error: r.error
    }))
  }
}

export function formatSummary (summary: RunSummary): string {
  const header = ['product', 'status', 'added', 'changed', 'unchanged', 'withdrawn', 'skipped', 'repo']
  const rows = summary.repos.map((r) => [r.product, r.status, r.added, r.changed, r.unchanged, r.withdrawn, r.skipped, r.url].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  for (const r of summary.repos) if (r.error !== null) out.push(`error: ${r.error}`)
  if (summary.interrupted) out.push('interrupted: the remaining repos were not ingested')
  return `${out.join('\n')}\n`
}
