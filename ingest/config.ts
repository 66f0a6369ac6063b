// Which repos to ingest: a JSON configuration (products and their repos), a yum .repo file, or flags.
// Variables ($releasever, $basearch, ...) are substituted here; a list value gives one repo per value.
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { splitCredentials } from './fetcher.js'
import { parseRepoFile } from './repo-file.js'

export interface RepoSpec {
  productId: string
  productName: string
  /** Identity of the repo: its (first) baseurl or its mirrorlist URL, variables substituted, without credentials. */
  url: string
  kind: 'baseurl' | 'mirrorlist'
  /** For kind "baseurl": every base URL to try in order (yum allows several). */
  baseurls: string[]
  name: string | null
  /** Hosts besides the repo's own that repomd locations (xml:base, absolute hrefs) may point to. */
  allowedHosts: string[]
  /** "user:password" by host (name:port), taken out of the URLs (withoutCredentials). */
  credentials?: Record<string, string>
}

export class ConfigError extends Error { override name = 'ConfigError' }

export type Variables = Record<string, string | string[]>

const productIdRe = /^[a-z0-9][a-z0-9._-]{0,63}$/

// The portal serves a product's advisories at /<product>/<id>: these first path segments are its own.
export const reservedProductIds = new Set(['advisories', 'api', 'check', 'cve', 'docs', 'feeds', 'healthz', 'openapi.json', 'packages', 'products', 'readyz', 'search', 'static'])

export function checkProductId (id: string, where: string): string {
  if (!productIdRe.test(id)) throw new ConfigError(`${where}: product id "${id}" must be 1-64 lower-case letters, digits, ".", "_" or "-"`)
  if (reservedProductIds.has(id)) throw new ConfigError(`${where}: product id "${id}" is reserved for the portal's own pages; choose another`)
  return id
}

/** Every combination of the list-valued variables the template uses. */
export function expandVariables (template: string, variables: Variables, where: string): Array<{ url: string, used: Record<string, string> }> {
  const names = [...new Set([...template.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!))]
  let results: Array<{ url: string, used: Record<string, string> }> = [{ url: template, used: {} }]
  for (const name of names) {
    const value = variables[name]
    if (value === undefined) throw new ConfigError(`${where}: unknown variable $${name} in "${template}" (set it in "variables" or with --${name})`)
    const values = Array.isArray(value) ? value : [value]
    results = results.flatMap((r) => values.map((v) => ({
      url: r.url.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}(?!\\w)`, 'g'), v),
      used: { ...r.used, [name]: v }
    })))
  }
  return results
}

// A plain path in a configuration file is relative to that file.
function locate (urlOrPath: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(urlOrPath) || isAbsolute(urlOrPath)) return urlOrPath
  return resolve(baseDir, urlOrPath)
}

export function label (name: string | null, used: Record<string, string>): string | null {
  const suffix = Object.values(used).join('/')
  if (name === null) return suffix === '' ? null : suffix
  return suffix === '' ? name : `${name} (${suffix})`
}

export interface ProductInput { id: string, name: string }

export function reposFromRepoFile (file: string, product: ProductInput, variables: Variables, allowedHosts: string[] = []): RepoSpec[] {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (err) { throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`) }
  const baseDir = dirname(resolve(file))
  const specs: RepoSpec[] = []
  for (const section of parseRepoFile(text, file)) {
    const where = `${file} [${section.id}]`
    if (section.mirrorlist !== null) {
      for (const { url, used } of expandVariables(section.mirrorlist, variables, where)) {
        specs.push({ productId: product.id, productName: product.name, url: locate(url, baseDir), kind: 'mirrorlist', baseurls: [], name: label(section.name ?? section.id, used), allowedHosts })
      }
    } else {
      const first = section.baseurls[0]!
      for (const { url, used } of expandVariables(first, variables, where)) {
        const all = section.baseurls.map((b) => locate(expandVariables(b, Object.fromEntries(Object.entries(used)), where)[0]!.url, baseDir))
        specs.push({ productId: product.id, productName: product.name, url: locate(url, baseDir), kind: 'baseurl', baseurls: all, name: label(section.name ?? section.id, used), allowedHosts })
      }
    }
  }
  return specs
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

/** Reads a JSON configuration. `overrides` (from flags) win over the file's variables. */
export function loadJsonConfig (file: string, overrides: Variables = {}): RepoSpec[] {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`)
  }
  const root = asObject(doc, file)
  const baseDir = dirname(resolve(file))
  const globalVars = asVariables(root.variables, `${file}: variables`)
  const globalHosts = asStringList(root.allowedHosts, `${file}: allowedHosts`)
  if (!Array.isArray(root.products) || root.products.length === 0) throw new ConfigError(`${file}: "products" must be a non-empty list`)
  const specs: RepoSpec[] = []
  root.products.forEach((p, pi) => {
    const where = `${file}: products[${pi}]`
    const product = asObject(p, where)
    const id = checkProductId(asString(product.id, `${where}.id`), where)
    const name = product.name === undefined ? id : asString(product.name, `${where}.name`)
    const variables = { ...globalVars, ...asVariables(product.variables, `${where}.variables`), ...overrides }
    const allowedHosts = [...globalHosts, ...asStringList(product.allowedHosts, `${where}.allowedHosts`)]
    if (!Array.isArray(product.repos) || product.repos.length === 0) throw new ConfigError(`${where}.repos must be a non-empty list`)
    product.repos.forEach((r, ri) => {
      const rw = `${where}.repos[${ri}]`
      const repo = asObject(r, rw)
      const sources = ['baseurl', 'mirrorlist', 'repoFile'].filter((k) => repo[k] !== undefined)
      if (sources.length !== 1) throw new ConfigError(`${rw} needs exactly one of "baseurl", "mirrorlist" or "repoFile"`)
      const repoName = repo.name === undefined ? null : asString(repo.name, `${rw}.name`)
      if (repo.repoFile !== undefined) {
        specs.push(...reposFromRepoFile(locate(asString(repo.repoFile, `${rw}.repoFile`), baseDir), { id, name }, variables, allowedHosts))
        return
      }
      const kind = repo.baseurl !== undefined ? 'baseurl' : 'mirrorlist'
      const template = asString(repo[kind], `${rw}.${kind}`)
      for (const { url, used } of expandVariables(template, variables, rw)) {
        const located = locate(url, baseDir)
        specs.push({ productId: id, productName: name, url: located, kind, baseurls: kind === 'baseurl' ? [located] : [], name: label(repoName, used), allowedHosts })
      }
    })
  })
  return dedupe(specs)
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

export function dedupe (specs: RepoSpec[]): RepoSpec[] {
  const seen = new Set<string>()
  return specs.map(withoutCredentials).filter((s) => {
    const key = `${s.productId}\n${s.url}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
