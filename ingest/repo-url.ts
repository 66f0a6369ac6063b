// The one spelling of a repo's URL or path, so that the same repo given two ways is the same row:
// a local repo is an absolute path (file:// URLs and relative paths become one), an http(s) repo a
// WHATWG-serialised URL, a base URL ending in exactly one "/" (it names a directory, as in yum's .repo files).
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type RepoKind = 'baseurl' | 'mirrorlist'

export class RepoUrlError extends Error { override name = 'RepoUrlError' }

const schemeRe = /^([a-z][a-z0-9+.-]*):/i

/**
 * `baseDir` is what a relative path is relative to: the configuration file's folder, or the current
 * directory for a flag. A mirrorlist names a file, so only a base URL gets its trailing "/".
 */
export function canonicalRepoUrl (urlOrPath: string, kind: RepoKind, baseDir: string = process.cwd()): string {
  const scheme = schemeRe.exec(urlOrPath)?.[1]?.toLowerCase()
  if (scheme === undefined) return resolve(baseDir, urlOrPath)
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'file') {
    throw new RepoUrlError(`unsupported URL scheme "${scheme}:" (use http, https, file or a path)`)
  }
  let url: URL
  try { url = new URL(urlOrPath) } catch { throw new RepoUrlError('not a valid URL') }
  if (scheme === 'file') {
    try { return resolve(fileURLToPath(url)) } catch { throw new RepoUrlError(`a file:// URL must name a local file (host "${url.hostname}" is not this machine)`) }
  }
  // A fragment never reaches the server: it cannot tell two repos apart.
  url.hash = ''
  if (kind === 'baseurl' && !url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`
  return url.href
}

/** The canonical form of a URL stored by an earlier version, or null when it cannot be known now (a relative path). */
export function canonicalStoredUrl (url: string, kind: RepoKind): string | null {
  if (!schemeRe.test(url) && !isAbsolute(url)) return null
  try { return canonicalRepoUrl(url, kind) } catch { return null }
}
