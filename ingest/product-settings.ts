// A product's own keys in a JSON configuration, checked: `packageManager` (yum, dnf, zypper or none),
// `sourceRepo` (the yum repo id of its source RPMs), `signingKey` (a URL or path of its armored public key)
// and `signingKeyUrl` (what `rpm --import` is shown with). What its .repo files say fills in the rest.
import type { ProductSettings } from '../db/product-store.js'
import { isPackageManager, packageManagers } from '../domain/update-command.js'
import { closest } from './closest.js'
import { ConfigError } from './config-error.js'
import { canonicalRepoUrl, RepoUrlError } from './repo-url.js'

/** What a product's .repo files say (the JSON configuration's own keys win). */
export type SettingsFromFiles = Omit<ProductSettings, 'packageManager'>

export interface SettingsContext {
  /** What a relative key path is relative to: the configuration's folder. */
  baseDir: string
  /** Where the product is in the configuration, for messages. */
  where: string
  /** $variables substituted (the first value of a list). */
  expand: (template: string, where: string) => string
}

const repoIdRe = /^[^\s/]+$/

/**
 * Where the worker reads a key and what `rpm --import` is shown with: an http(s) key is its own import URL;
 * a .repo file's gpgkey path is where yum finds the key on every server using that file, so it is shown too;
 * a local path in a JSON configuration is the worker's own file: only its name is shown, unless signingKeyUrl says.
 */
export function keySetting (value: string, importUrl: string | null, baseDir: string, where: string, from: 'repo file' | 'json'): ProductSettings['signingKey'] {
  if (/^https?:\/\/[^/]*@/i.test(value)) throw new ConfigError(`${where}: "${value}": a signing key is public: give its URL without a user or password`)
  let source: string
  try {
    source = canonicalRepoUrl(value, 'mirrorlist', baseDir)
  } catch (err) {
    if (err instanceof RepoUrlError) throw new ConfigError(`${where}: "${value}": ${err.message}`)
    throw err
  }
  const remote = /^https?:/.test(source)
  return { source, importUrl: importUrl ?? (remote || from === 'repo file' ? source : null) }
}

function optionalString (value: unknown, where: string): string | null {
  if (value === undefined) return null
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where} must be a non-empty string`)
  return value.trim()
}

function packageManager (value: unknown, where: string): string | null {
  const given = optionalString(value, where)
  if (given === null || isPackageManager(given)) return given
  const near = closest(given, packageManagers)
  const known = packageManagers.map((m) => `"${m}"`).join(', ')
  throw new ConfigError(`${where}: "${given}" is not a package manager${near === null ? '' : `; did you mean "${near}"?`} (one of ${known})`)
}

function signingKeyUrl (value: unknown, where: string): string | null {
  const given = optionalString(value, where)
  if (given !== null && !/^(https?:\/\/[^\s@/]+\/\S*|\/\S+)$/i.test(given)) {
    throw new ConfigError(`${where}: "${given}" must be an http(s) URL without credentials or an absolute path, as people give it to rpm --import`)
  }
  return given
}

/** The product's settings: its own keys, else what its .repo files say. */
export function productSettings (product: Record<string, unknown>, fromFiles: SettingsFromFiles, ctx: SettingsContext): ProductSettings {
  const at = (key: string): string => `${ctx.where}.${key}`
  const sourceRepo = optionalString(product.sourceRepo, at('sourceRepo'))
  if (sourceRepo !== null && !repoIdRe.test(sourceRepo)) throw new ConfigError(`${at('sourceRepo')}: "${sourceRepo}" is not a yum repo id (no spaces or slashes)`)
  const key = optionalString(product.signingKey, at('signingKey'))
  const importUrl = signingKeyUrl(product.signingKeyUrl, at('signingKeyUrl'))
  if (importUrl !== null && key === null) throw new ConfigError(`${at('signingKeyUrl')} needs "signingKey" (where the worker reads the key)`)
  return {
    packageManager: packageManager(product.packageManager, at('packageManager')),
    sourceRepo: sourceRepo ?? fromFiles.sourceRepo,
    signingKey: key === null ? fromFiles.signingKey : keySetting(ctx.expand(key, at('signingKey')), importUrl, ctx.baseDir, at('signingKey'), 'json')
  }
}
