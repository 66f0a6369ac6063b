// Before a run's repos, each product the configuration describes: its settings saved (package manager, source
// repo, signing key location) and its signing key read, so the repos' commits publish pages that already show
// them. A key that cannot be read fails like a repo (in the report, on /products, in the exit status) and
// never touches the advisories: the repos are ingested all the same.
import type { ProductStore } from '../db/product-store.js'
import type { RepoSpec } from './config.js'
import type { FetchOptions } from './fetcher.js'
import type { Logger } from './repo-context.js'
import { fetchSigningKey } from './signing-key.js'

export interface KeyResult {
  product: string
  /** Where the key was read (a URL or a path). */
  source: string
  status: 'ok' | 'failed'
  fingerprint: string | null
  error: string | null
}

export interface ProductsContext {
  products: ProductStore
  tempDir: string
  fetch: FetchOptions
  now: () => string
  log: Logger
  signal?: AbortSignal
}

// A function, so that TypeScript does not keep a check made before an await.
const stopping = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

/** The settings of every product that `repos` describe, then their keys; returns one result per key read. */
export async function settleProducts (repos: RepoSpec[], ctx: ProductsContext): Promise<KeyResult[]> {
  const described = new Map<string, RepoSpec>()
  for (const spec of repos) if (spec.product !== undefined && !described.has(spec.productId)) described.set(spec.productId, spec)
  for (const [id, spec] of described) ctx.products.saveSettings(id, spec.productName, spec.product!, ctx.now())
  const results: KeyResult[] = []
  for (const [id, spec] of described) {
    const key = spec.product!.signingKey
    if (key === null || ctx.signal?.aborted === true) continue
    const fetch = { ...ctx.fetch, allowedHosts: spec.allowedHosts, credentials: {}, ...(ctx.signal !== undefined && { signal: ctx.signal }) }
    try {
      const facts = await fetchSigningKey(key.source, ctx.tempDir, fetch)
      if (ctx.products.saveKey(id, facts, ctx.now())) ctx.log.info(`${id}: signing key ${facts.fingerprint} read from ${key.source}`)
      results.push({ product: id, source: key.source, status: 'ok', fingerprint: facts.fingerprint, error: null })
    } catch (err) {
      if ((err as Error).name === 'SqliteError') throw err
      // Stopping (SIGTERM, Ctrl-C): the key was not read, which says nothing about the key.
      if (stopping(ctx.signal)) break
      const error = `${id} signing key: ${(err as Error).message}`
      ctx.products.saveKeyFailure(id, error, ctx.now())
      results.push({ product: id, source: key.source, status: 'failed', fingerprint: null, error })
    }
  }
  return results
}
