// The end-of-run summary: a table for people, JSON for machines.
import type { DisabledSource, RepoSpec } from './config.js'
import type { KeyResult } from './product-state.js'
import type { RunSummary } from './run.js'

/** What one repo's run did, as every output (the --json answer, the JSON log lines) counts it. */
export function repoCounts (r: RunSummary['repos'][number]): { added: number, changed: number, unchanged: number, withdrawn: number, skipped: number } {
  return { added: r.added, changed: r.changed, unchanged: r.unchanged, withdrawn: r.withdrawn, skipped: r.skipped }
}

/** A signing key's outcome, as the --json answer and the JSON log lines give it. */
export function keyJson (k: KeyResult): Record<string, unknown> {
  return { product: k.product, key: k.source, status: k.status, fingerprint: k.fingerprint, error: k.error }
}

/**
 * `disabled` appears only when the configuration disables something, and `keys` only when it names a signing
 * key, so the usual answer keeps its shape.
 */
export function jsonSummary (summary: RunSummary, disabled: DisabledSource[] = []): { repos: Array<Record<string, unknown>>, keys?: Array<Record<string, unknown>>, disabled?: Array<Record<string, unknown>> } {
  const keys = summary.keys ?? []
  return {
    repos: summary.repos.map((r) => ({
      product: r.product,
      url: r.url,
      status: r.status,
      ...repoCounts(r),
      error: r.error
    })),
    ...(keys.length > 0 && { keys: keys.map(keyJson) }),
    ...(disabled.length > 0 && { disabled: disabled.map((d) => ({ product: d.productId, source: d.source, reason: d.reason })) })
  }
}

/** The JSON answer of a run that failed as a whole: the cause, and every repo as not ingested. */
export function failedRunSummary (repos: RepoSpec[], error: string): { error: string, repos: Array<Record<string, unknown>> } {
  return {
    error,
    repos: repos.map((r) => ({ product: r.productId, url: r.url, status: 'failed', added: 0, changed: 0, unchanged: 0, withdrawn: 0, skipped: 0, error: `not ingested: ${error}` }))
  }
}

export function formatSummary (summary: RunSummary): string {
  const header = ['product', 'status', 'added', 'changed', 'unchanged', 'withdrawn', 'skipped', 'repo']
  const rows = summary.repos.map((r) => [r.product, r.status, r.added, r.changed, r.unchanged, r.withdrawn, r.skipped, r.url].map(String))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  for (const k of summary.keys ?? []) out.push(k.status === 'ok' ? `${k.product}: signing key ${k.fingerprint ?? ''} (${k.source})` : `error: ${k.error ?? ''}`)
  for (const r of summary.repos) if (r.error !== null) out.push(`error: ${r.error}`)
  if (summary.interrupted) out.push('interrupted: the remaining repos were not ingested')
  return `${out.join('\n')}\n`
}
