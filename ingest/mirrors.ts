// Where a repo is tried, in order, as yum does: its base URLs, or the mirrors its mirrorlist lists.
import { join } from 'node:path'
import type { RepoSpec } from './config.js'
import { fetchText, toLocation } from './fetcher.js'
import { IngestError, type RepoContext } from './repo-context.js'

export function ensureSlash (url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

/** The URL a base resolves to, as the root that repodata/ and locations are relative to. */
export function repoRoot (base: string): string {
  return ensureSlash(toLocation(base).url)
}

export async function candidateBases (spec: RepoSpec, ctx: RepoContext): Promise<string[]> {
  if (spec.kind === 'baseurl') return spec.baseurls
  let body: string | null
  try {
    body = (await fetchText(toLocation(spec.url), join(ctx.tempDir, 'mirrorlist'), { ...ctx.fetch, maxBytes: ctx.limits.maxMirrorlistBytes })).text
  } catch (err) {
    throw new IngestError(`mirrorlist: ${(err as Error).message}`)
  }
  const listed = (body ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  if (listed.length === 0) throw new IngestError(`the mirrorlist ${spec.url} lists no mirrors`)
  // A remote mirrorlist may send us to http(s) mirrors only, never to the local disk.
  if (toLocation(spec.url).kind === 'file') return listed
  const mirrors = listed.filter((m) => /^https?:\/\//i.test(m))
  if (mirrors.length < listed.length) ctx.log.warn(`${spec.productId} ${spec.url}: ${listed.length - mirrors.length} mirror(s) skipped: a remote mirrorlist may list only http and https mirrors`)
  if (mirrors.length === 0) throw new IngestError(`the mirrorlist ${spec.url} lists no http or https mirrors (${listed.length} other entries skipped: a remote mirrorlist may not point to local files)`)
  return mirrors
}
