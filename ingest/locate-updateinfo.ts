// Step 1 of a repo's ingest: the mirror's repomd.xml (a conditional GET), refused when older than the one
// last ingested, and where its updateinfo is, unless nothing changed since the last run.
import { isAbsolute, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RepoState } from '../db/repo-store.js'
import type { RepoSpec } from './config.js'
import { fetchText, toLocation, type FetchedText, type Location } from './fetcher.js'
import { ensureSlash } from './mirrors.js'
import { IngestError, type RepoContext } from './repo-context.js'
import { parseRepomdWithAge, repomdOlder, type UpdateinfoEntry } from './repomd.js'

export interface RepomdAge { revision: string | null, timestamp: string | null }

export type Located =
  /** Not modified, or the same updateinfo checksum as last time: nothing to download. */
  | { changed: false, repomd: FetchedText, seen: RepomdAge }
  /** `updateinfo` is null when repomd.xml lists none: the repo publishes no advisories. */
  | { changed: true, repomd: FetchedText, seen: RepomdAge, updateinfo: { entry: UpdateinfoEntry, location: Location } | null }

export async function locateUpdateinfo (spec: RepoSpec, state: RepoState, ctx: RepoContext, root: string): Promise<Located> {
  const { log } = ctx
  // Conditional requests only make sense against the mirror that answered last time.
  const conditional = root === state.base_url && state.checksum !== null ? { etag: state.repomd_etag, lastModified: state.repomd_last_modified } : {}
  const repomd = await fetchText(toLocation(new URL('repodata/repomd.xml', root).href, root), join(ctx.tempDir, 'repomd.xml'), { ...ctx.fetch, maxBytes: ctx.limits.maxRepomdBytes }, conditional)
  const last = { revision: state.repomd_revision, timestamp: state.repomd_timestamp }
  if (repomd.text === null) {
    log.info(`${spec.productId} ${root}: repomd.xml not modified since the last run`)
    return { changed: false, repomd, seen: last }
  }
  const parsed = parseRepomdWithAge(repomd.text)
  const entry = parsed.updateinfo
  const seen = { revision: parsed.revision, timestamp: parsed.timestamp }
  // A mirror that went back in time would undo what a newer one published (item 8 of docs/reliability.md).
  const older = repomdOlder(seen, last)
  if (older !== null) {
    if (ctx.allowWithdraw !== true) throw new IngestError(`repomd.xml is older than the one last ingested (${older}): a stale mirror, refused; pass --allow-withdraw if the repo really went back`)
    log.warn(`${spec.productId} ${root}: repomd.xml is older than the one last ingested (${older}); accepted with --allow-withdraw`)
  }
  if (entry === null) {
    log.info(`${spec.productId} ${root}: repomd.xml has no updateinfo entry; the repo publishes no advisories`)
    return { changed: true, repomd, seen, updateinfo: null }
  }
  const checksum = entry.checksum
  if (checksum !== null && checksum.value === state.checksum && checksum.type === state.checksum_type) {
    log.info(`${spec.productId} ${root}: updateinfo unchanged (${checksum.type} ${checksum.value.slice(0, 12)}…)`)
    return { changed: false, repomd, seen }
  }
  return { changed: true, repomd, seen, updateinfo: { entry, location: resolveUpdateinfoLocation(root, entry, spec.allowedHosts) } }
}

/** The updateinfo URL, refused when it leaves the repo (file repos) or goes to a host not allowed. */
export function resolveUpdateinfoLocation (root: string, entry: UpdateinfoEntry, allowedHosts: string[]): Location {
  let target: URL
  try {
    const base = entry.xmlBase === null ? root : ensureSlash(new URL(entry.xmlBase, root).href)
    target = new URL(entry.href, base)
  } catch {
    throw new IngestError(`repomd.xml: the updateinfo location "${entry.href}" is not a valid URL`)
  }
  const rootUrlObject = new URL(root)
  if (rootUrlObject.protocol === 'file:') {
    if (target.protocol !== 'file:') throw new IngestError(`repomd.xml: the updateinfo location ${target.href} leaves this file repo`)
    const rel = relative(fileURLToPath(rootUrlObject), fileURLToPath(target))
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new IngestError(`repomd.xml: the updateinfo location "${entry.href}" escapes the repo root`)
    return toLocation(target.href, root)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new IngestError(`repomd.xml: the updateinfo location ${target.href} uses the ${target.protocol} scheme; only http and https are followed`)
  }
  if (target.host !== rootUrlObject.host && !allowedHosts.includes(target.hostname) && !allowedHosts.includes(target.host)) {
    throw new IngestError(`repomd.xml: the updateinfo location points to host ${target.host}, which is not this repo's and not in allowedHosts`)
  }
  return toLocation(target.href)
}
