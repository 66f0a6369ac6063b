// What `npm run repos` prints: the products and repos as text or JSON, and what a removal did.
import type { AdminProduct, AdminRepo, RemoveMode, Removal } from '../db/repo-admin.js'
import { canonicalStoredUrl } from './repo-url.js'

function count (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

export function repoLabel (r: AdminRepo): string {
  return r.name === null ? r.url : `${r.name} (${r.url})`
}

/** Rows an earlier version stored in another form (docs/ingest.md: the next ingest renames what it can). */
export function storedFormNote (r: AdminRepo, repos: AdminRepo[]): string | null {
  const canonical = canonicalStoredUrl(r.url, r.kind)
  if (canonical === null) return 'a relative path stored by an earlier version (the folder it was relative to is not known): if another repo is the same one, remove this one'
  if (canonical === r.url) return null
  if (repos.some((o) => o.productId === r.productId && o.url === canonical)) return `the same repo as ${canonical}, stored twice by an earlier version: remove one`
  return `stored in an earlier form: the next ingest renames it to ${canonical}`
}

function repoState (r: AdminRepo): string {
  if (r.removedAt !== null) return `removed ${r.removedAt} (--withdraw); keeps ${count(r.withdrawn, 'withdrawn advisory', 'withdrawn advisories')}`
  const lists = `lists ${count(r.advisories, 'advisory', 'advisories')}${r.withdrawn > 0 ? `, keeps ${r.withdrawn} withdrawn` : ''}`
  if (r.lastRunAt === null) return `never ingested; ${lists}`
  const success = r.lastStatus === 'failed' ? `, last success ${r.lastSuccessAt ?? 'never'}` : ''
  return `${r.lastStatus ?? 'unknown'} ${r.lastRunAt}${success}; ${lists}`
}

export function formatList (products: AdminProduct[], repos: AdminRepo[]): string {
  if (products.length === 0) return 'no products: nothing has been ingested yet\n'
  const out: string[] = []
  for (const p of products) {
    out.push(`${p.id}  ${p.name}: ${count(p.advisories, 'advisory', 'advisories')}, ${p.withdrawn} withdrawn${p.listed ? '' : '; not on /products (every repo removed)'}`)
    for (const r of repos.filter((x) => x.productId === p.id)) {
      out.push(`  ${r.name ?? '-'}  ${r.url}`, `    ${repoState(r)}`)
      if (r.removedAt === null && r.lastStatus === 'failed' && r.lastError !== null) out.push(`    error: ${r.lastError}`)
      const note = storedFormNote(r, repos)
      if (note !== null) out.push(`    note: ${note}`)
    }
  }
  return `${out.join('\n')}\n`
}

/** In the API's field names (/api/v1/products), plus what only the operator sees. */
export function listJson (products: AdminProduct[], repos: AdminRepo[]): unknown {
  return {
    products: products.map((p) => ({
      id: p.id,
      name: p.name,
      advisories: p.advisories,
      withdrawn: p.withdrawn,
      listed: p.listed,
      repos: repos.filter((r) => r.productId === p.id).map((r) => ({
        name: r.name,
        url: r.url,
        kind: r.kind,
        status: r.lastStatus,
        last_run_at: r.lastRunAt,
        last_success_at: r.lastSuccessAt,
        error: r.lastError,
        advisories: r.advisories,
        withdrawn: r.withdrawn,
        removed_at: r.removedAt,
        note: storedFormNote(r, repos)
      }))
    }))
  }
}

export function formatRemoval (productId: string, removed: AdminRepo[], mode: RemoveMode, removal: Removal): string {
  const out = removed.map((r) => `${productId}: ${mode === 'withdraw' ? 'removed' : 'deleted'} repo ${repoLabel(r)} (--${mode})`)
  out.push(mode === 'withdraw'
    ? `${productId}: ${count(removal.withdrawn, 'advisory', 'advisories')} withdrawn (pages and history kept)`
    : `${productId}: ${count(removal.deleted, 'advisory', 'advisories')} deleted`)
  if (removal.detached > 0) {
    const one = removal.detached === 1
    out.push(`${productId}: ${count(removal.detached, 'advisory stays', 'advisories stay')}: another repo of ${productId} ${mode === 'withdraw' ? 'lists' : 'holds'} ${one ? 'it' : 'them'} too`)
  }
  if (removal.productDeleted) out.push(`${productId}: nothing of it is left: the product is deleted`)
  else if (removal.productUnlisted) out.push(`${productId}: no repo in use left: it is no longer on /products; its withdrawn advisories keep their pages (npm run repos -- remove ${productId} --delete deletes them)`)
  return `${out.join('\n')}\n`
}
