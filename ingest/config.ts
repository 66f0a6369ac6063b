// Which repos to ingest: a JSON configuration (products and their repos), a yum .repo file, or flags.
// Variables ($releasever, $basearch, ...) are substituted here; a list value gives one repo per value. Every
// URL and path leaves here in its canonical form (repo-url.ts); a disabled repo is set aside with the reason.
// What a product's configuration says about it (package manager, source repo, signing key) rides on its repos.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { ProductSettings } from '../db/product-store.js'
import { closest } from './closest.js'
import { ConfigError } from './config-error.js'
import { splitCredentials } from './fetcher.js'
import { parseRepoFile, signingKeyOf, sourceSection, type RepoFileSection } from './repo-file.js'
import { keySetting, productSettings, type SettingsFromFiles } from './product-settings.js'
import { canonicalRepoUrl, RepoUrlError, type RepoKind } from './repo-url.js'

export interface RepoSpec {
  productId: string
  productName: string
  /** Identity of the repo: its (first) baseurl or its mirrorlist URL, variables substituted, canonical, without credentials. */
  url: string
  kind: RepoKind
  /** For kind "baseurl": every base URL to try in order (yum allows several). */
  baseurls: string[]
  name: string | null
  /** Hosts besides the repo's own that repomd locations (xml:base, absolute hrefs) may point to. */
  allowedHosts: string[]
  /** "user:password" by host (name:port), taken out of the URLs (withoutCredentials). */
  credentials?: Record<string, string>
  /**
   * What the configuration (a JSON file or a .repo file) says about the product, the same on each of its
   * repos; absent for --repo and --mirrorlist, which leave the product's stored settings as they are.
   */
  product?: ProductSettings
}

export { ConfigError }

export type Variables = Record<string, string | string[]>

/** A repo (or a whole product) that the configuration disables: not ingested, and the run says so. */
export interface DisabledSource { productId: string, source: string, reason: string }

/** What the sources give: the repos to ingest, those disabled, and the .repo sections read (for --enablerepo). */
export interface Sources { repos: RepoSpec[], disabled: DisabledSource[], sections: string[] }

const productIdRe = /^[a-z0-9][a-z0-9._-]{0,63}$/

// The portal serves a product's advisories at /<product>/<id>: these first path segments are its own.
export const reservedProductIds = new Set(['advisories', 'api', 'check', 'cve', 'docs', 'feeds', 'healthz', 'metrics', 'openapi.json', 'packages', 'page', 'robots.txt', 'sitemap.xml', 'sitemaps', 'products', 'readyz', 'search', 'static', 'stats', 'favicon.ico'])

export function checkProductId (id: string, where: string): string {
  if (!productIdRe.test(id)) throw new ConfigError(`${where}: product id "${id}" must be 1-64 lower-case letters, digits, ".", "_" or "-"`)
  if (reservedProductIds.has(id)) throw new ConfigError(`${where}: product id "${id}" is reserved for the portal's own pages; choose another`)
  return id
}

/** The variables that have flags of their own (args.ts). */
const flagVariables = ['releasever', 'basearch']

function unknownVariable (name: string, template: string, variables: Variables, where: string): ConfigError {
  const what = `${where}: unknown variable $${name} in "${template}"`
  if (flagVariables.includes(name)) return new ConfigError(`${what} (set it in "variables" or with --${name})`)
  const near = closest(name, [...flagVariables, ...Object.keys(variables)])
  if (near !== null) return new ConfigError(`${what}; did you mean $${near}?`)
  return new ConfigError(`${what} (set it in "variables" of a JSON configuration; only $releasever and $basearch have flags: --releasever, --basearch)`)
}

/** Every combination of the list-valued variables the template uses. */
export function expandVariables (template: string, variables: Variables, where: string): Array<{ url: string, used: Record<string, string> }> {
  const names = [...new Set([...template.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!))]
  let results: Array<{ url: string, used: Record<string, string> }> = [{ url: template, used: {} }]
  for (const name of names) {
    const value = variables[name]
    if (value === undefined) throw unknownVariable(name, template, variables, where)
    const values = Array.isArray(value) ? value : [value]
    results = results.flatMap((r) => values.map((v) => ({
      url: r.url.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}(?!\\w)`, 'g'), v),
      used: { ...r.used, [name]: v }
    })))
  }
  return results
}

/** The canonical URL or absolute path; a plain path is relative to `baseDir` (the configuration's folder, or the current one). */
export function canonical (urlOrPath: string, kind: RepoKind, baseDir: string, where: string): string {
  try {
    return canonicalRepoUrl(urlOrPath, kind, baseDir)
  } catch (err) {
    if (err instanceof RepoUrlError) throw new ConfigError(`${where}: "${urlOrPath}": ${err.message}`)
    throw err
  }
}

export function label (name: string | null, used: Record<string, string>): string | null {
  const suffix = Object.values(used).join('/')
  if (name === null) return suffix === '' ? null : suffix
  return suffix === '' ? name : `${name} (${suffix})`
}

export interface ProductInput { id: string, name: string }

/** --enablerepo patterns: yum's globs (`*`, `?`) over section ids. */
export function enableMatches (pattern: string, sectionId: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
  return re.test(sectionId)
}

function repoFileSpecs (section: RepoFileSection, product: ProductInput, variables: Variables, allowedHosts: string[], baseDir: string, where: string): RepoSpec[] {
  const base = { productId: product.id, productName: product.name, allowedHosts }
  if (section.mirrorlist !== null) {
    return expandVariables(section.mirrorlist, variables, where).map(({ url, used }) =>
      ({ ...base, url: canonical(url, 'mirrorlist', baseDir, where), kind: 'mirrorlist', baseurls: [], name: label(section.name ?? section.id, used) }))
  }
  return expandVariables(section.baseurls[0]!, variables, where).map(({ url, used }) => {
    const all = section.baseurls.map((b) => canonical(expandVariables(b, used, where)[0]!.url, 'baseurl', baseDir, where))
    return { ...base, url: canonical(url, 'baseurl', baseDir, where), kind: 'baseurl', baseurls: all, name: label(section.name ?? section.id, used) }
  })
}

/** A .repo file's sections as repos; a section with enabled=0 only when a pattern of `enable` names it. */
export function reposFromRepoFile (file: string, product: ProductInput, variables: Variables, allowedHosts: string[] = [], enable: string[] = []): Sources {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`) }
  const baseDir = dirname(resolve(file))
  const sources: Sources = { repos: [], disabled: [], sections: [] }
  const sections = parseRepoFile(text, file)
  const fromFile = repoFileSettings(sections, variables, baseDir, file)
  for (const section of sections) {
    sources.sections.push(section.id)
    const where = `${file} [${section.id}]`
    if (!section.enabled && !enable.some((p) => enableMatches(p, section.id))) {
      sources.disabled.push({ productId: product.id, source: where, reason: `enabled=0 (--enablerepo ${section.id} ingests it)` })
      continue
    }
    sources.repos.push(...repoFileSpecs(section, product, variables, allowedHosts, baseDir, where).map((r) => ({ ...r, product: { packageManager: null, ...fromFile } })))
  }
  return sources
}

/** What a .repo file says about its product: the source section's id and the key yum checks with. */
function repoFileSettings (sections: RepoFileSection[], variables: Variables, baseDir: string, file: string): SettingsFromFiles {
  const key = signingKeyOf(sections)
  const where = `${file}: gpgkey`
  return {
    sourceRepo: sourceSection(sections)?.id ?? null,
    signingKey: key === null ? null : keySetting(expandVariables(key, variables, where)[0]!.url, null, baseDir, where, 'repo file')
  }
}

function asObject (value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} must be an object`)
  return value as Record<string, unknown>
}

function asString (value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where} must be a non-empty string`)
  return value.trim()
}

function asVariables (value: unknown, where: string): Variables {
  if (value === undefined) return {}
  const object = asObject(value, where)
  const out: Variables = {}
  for (const [k, v] of Object.entries(object)) {
    if (typeof v === 'string') out[k] = v
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) out[k] = v as string[]
    else throw new ConfigError(`${where}.${k} must be a string or a non-empty list of strings`)
  }
  return out
}

function asStringList (value: unknown, where: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) throw new ConfigError(`${where} must be a list of strings`)
  return value as string[]
}

function asEnabled (value: unknown, where: string): boolean {
  if (value === undefined) return true
  if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false`)
  return value
}

// The keys each object of a JSON configuration may have: anything else is a mistake, named with the closest.
const rootKeys = ['products', 'variables', 'allowedHosts']
const productKeys = ['id', 'name', 'repos', 'variables', 'allowedHosts', 'enabled', 'packageManager', 'sourceRepo', 'signingKey', 'signingKeyUrl']
const repoKeys = ['baseurl', 'mirrorlist', 'repoFile', 'name', 'enabled', 'enablerepo']

function checkKeys (object: Record<string, unknown>, known: string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue
    const near = closest(key, known)
    throw new ConfigError(near === null
      ? `${where}: unknown key "${key}" (known keys: ${known.map((k) => `"${k}"`).join(', ')})`
      : `${where}: unknown key "${key}"; did you mean "${near}"?`)
  }
}

type RepoSource = 'baseurl' | 'mirrorlist' | 'repoFile'

/** A repo entry's keys checked, and which source it is. */
function repoShape (value: unknown, where: string): { repo: Record<string, unknown>, source: RepoSource } {
  const repo = asObject(value, where)
  checkKeys(repo, repoKeys, where)
  const sources = (['baseurl', 'mirrorlist', 'repoFile'] as const).filter((k) => repo[k] !== undefined)
  if (sources.length !== 1) throw new ConfigError(`${where} needs exactly one of "baseurl", "mirrorlist" or "repoFile"`)
  const source = sources[0]!
  if (source === 'repoFile' && repo.name !== undefined) throw new ConfigError(`${where}: "name" does not apply to a "repoFile" entry (its sections name their repos)`)
  if (source !== 'repoFile' && repo.enablerepo !== undefined) throw new ConfigError(`${where}: "enablerepo" applies only to a "repoFile" entry`)
  return { repo, source }
}

/** Where a JSON configuration is being read, and what it has given so far. */
interface JsonContext { file: string, baseDir: string, enable: string[], sources: Sources }
interface ProductScope { product: ProductInput, variables: Variables, allowedHosts: string[] }

function readRepoFileEntry (repo: Record<string, unknown>, where: string, scope: ProductScope, ctx: JsonContext): void {
  const file = resolve(ctx.baseDir, asString(repo.repoFile, `${where}.repoFile`))
  const own = asStringList(repo.enablerepo, `${where}.enablerepo`)
  const got = reposFromRepoFile(file, scope.product, scope.variables, scope.allowedHosts, [...ctx.enable, ...own])
  for (const pattern of own) {
    if (got.sections.some((s) => enableMatches(pattern, s))) continue
    const near = closest(pattern, got.sections)
    throw new ConfigError(`${where}.enablerepo: "${pattern}" matches no section of ${file}${near === null ? ` (its sections: ${got.sections.join(', ')})` : `; did you mean "${near}"?`}`)
  }
  ctx.sources.repos.push(...got.repos)
  ctx.sources.disabled.push(...got.disabled)
  ctx.sources.sections.push(...got.sections)
}

function readRepoEntry (value: unknown, where: string, scope: ProductScope, ctx: JsonContext): void {
  const { repo, source } = repoShape(value, where)
  if (!asEnabled(repo.enabled, `${where}.enabled`)) {
    ctx.sources.disabled.push({ productId: scope.product.id, source: `${where} (${String(repo[source])})`, reason: '"enabled": false' })
    return
  }
  if (source === 'repoFile') {
    readRepoFileEntry(repo, where, scope, ctx)
    return
  }
  const repoName = repo.name === undefined ? null : asString(repo.name, `${where}.name`)
  const template = asString(repo[source], `${where}.${source}`)
  for (const { url, used } of expandVariables(template, scope.variables, where)) {
    const located = canonical(url, source, ctx.baseDir, `${where}.${source}`)
    ctx.sources.repos.push({ productId: scope.product.id, productName: scope.product.name, url: located, kind: source, baseurls: source === 'baseurl' ? [located] : [], name: label(repoName, used), allowedHosts: scope.allowedHosts })
  }
}

function readProduct (value: unknown, where: string, inherited: { variables: Variables, allowedHosts: string[], overrides: Variables }, ctx: JsonContext): void {
  const product = asObject(value, where)
  checkKeys(product, productKeys, where)
  const id = checkProductId(asString(product.id, `${where}.id`), where)
  const name = product.name === undefined ? id : asString(product.name, `${where}.name`)
  const variables = { ...inherited.variables, ...asVariables(product.variables, `${where}.variables`), ...inherited.overrides }
  const allowedHosts = [...inherited.allowedHosts, ...asStringList(product.allowedHosts, `${where}.allowedHosts`)]
  if (!Array.isArray(product.repos) || product.repos.length === 0) throw new ConfigError(`${where}.repos must be a non-empty list`)
  if (!asEnabled(product.enabled, `${where}.enabled`)) {
    // Its repos are not read, but a mistake in them is still one.
    product.repos.forEach((r, ri) => repoShape(r, `${where}.repos[${ri}]`))
    ctx.sources.disabled.push({ productId: id, source: where, reason: '"enabled": false (the whole product)' })
    return
  }
  const first = ctx.sources.repos.length
  product.repos.forEach((r, ri) => { readRepoEntry(r, `${where}.repos[${ri}]`, { product: { id, name }, variables, allowedHosts }, ctx) })
  // The product's own keys win over what its .repo files say; every repo of it carries the result.
  const mine = ctx.sources.repos.slice(first)
  const fromFiles = mine.find((r) => r.product !== undefined)?.product ?? { sourceRepo: null, signingKey: null }
  const expand = (template: string, at: string): string => expandVariables(template, variables, at)[0]!.url
  const settings = productSettings(product, fromFiles, { baseDir: ctx.baseDir, where, expand })
  for (const r of mine) r.product = settings
}

/** Reads a JSON configuration. `overrides` (from flags) win over the file's variables; `enable` applies to its .repo files. */
export function readJsonConfig (file: string, overrides: Variables = {}, enable: string[] = []): Sources {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`)
  }
  const root = asObject(doc, file)
  checkKeys(root, rootKeys, file)
  const ctx: JsonContext = { file, baseDir: dirname(resolve(file)), enable, sources: { repos: [], disabled: [], sections: [] } }
  const inherited = { variables: asVariables(root.variables, `${file}: variables`), allowedHosts: asStringList(root.allowedHosts, `${file}: allowedHosts`), overrides }
  if (!Array.isArray(root.products) || root.products.length === 0) throw new ConfigError(`${file}: "products" must be a non-empty list`)
  root.products.forEach((p, pi) => { readProduct(p, `${file}: products[${pi}]`, inherited, ctx) })
  return { ...ctx.sources, repos: dedupe(ctx.sources.repos) }
}

/** The repos a JSON configuration enables. */
export function loadJsonConfig (file: string, overrides: Variables = {}): RepoSpec[] {
  return readJsonConfig(file, overrides).repos
}

/** The spec with user:password taken out of its URLs into `credentials`: what is stored and shown has none. */
export function withoutCredentials (spec: RepoSpec): RepoSpec {
  const credentials = { ...spec.credentials }
  const strip = (url: string): string => {
    const split = splitCredentials(url)
    if (split.host !== null && split.userinfo !== null) credentials[split.host] = split.userinfo
    return split.url
  }
  const url = strip(spec.url)
  const baseurls = spec.baseurls.map(strip)
  return Object.keys(credentials).length === 0 ? { ...spec, url, baseurls } : { ...spec, url, baseurls, credentials }
}

/** The spec's URLs in canonical form: a spec read from the configuration already is, one built in code may not be. */
export function canonicalSpec (spec: RepoSpec): RepoSpec {
  const form = (url: string, kind: RepoKind): string => {
    try { return canonicalRepoUrl(url, kind) } catch { return url }
  }
  return { ...spec, url: form(spec.url, spec.kind), baseurls: spec.baseurls.map((b) => form(b, 'baseurl')) }
}

export function dedupe (specs: RepoSpec[]): RepoSpec[] {
  const seen = new Set<string>()
  return specs.map(withoutCredentials).filter((s) => {
    const key = `${s.productId}\n${s.url}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
