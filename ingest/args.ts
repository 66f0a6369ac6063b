// Command-line arguments of the ingest worker, validated once, with a clear message for each mistake.
import { parseArgs } from 'node:util'
import { defaultDbPath } from '../db/paths.js'
import { closest } from './closest.js'
import { canonical, checkProductId, dedupe, enableMatches, expandVariables, label, readJsonConfig, reposFromRepoFile, type DisabledSource, type RepoSpec, type Sources, type Variables } from './config.js'

export class UsageError extends Error { override name = 'UsageError' }

export const usage = `Usage: npm run ingest -- [options]

Sources (at least one):
  --config FILE              JSON configuration (see README) or a yum .repo file
  --repo URL                 a repo by base URL (http, https, file or a path); repeatable
  --mirrorlist URL           a repo by mirror list; repeatable
  --product ID               product of the preceding --repo/--mirrorlist (or of a .repo --config)
  --product-name NAME        its display name
  --enablerepo ID            ingest the .repo section ID although it says enabled=0 (globs * and ?
                             as in yum); repeatable

Options:
  --db PATH                  SQLite database (default: $DB_PATH or ${defaultDbPath})
  --releasever V, --basearch A  values for $releasever / $basearch (repeat --basearch for several arches)
  --allow-host HOST          a host (or host:port) repomd locations and redirects may lead to besides
                             the repo's own; repeatable
  --log-format text|json     text: a progress bar on a terminal, else log lines on stderr and a table;
                             json: one JSON line per repo and per warning on stdout (default: text on
                             a terminal, json otherwise; also $LOG_FORMAT)
  --json                     print only the summary, as JSON on stdout
  --watch [--interval 15m]   keep running, re-checking every repo on schedule (with jitter)
  --wait                     wait for another running ingest instead of refusing
  --max-decompressed-size N  refuse an updateinfo larger than N decompressed (default 1G)
  --allow-withdraw           accept a run that drops more than 10 % (and at least 5) of a repo's
                             advisories, or an older repomd.xml (refused by default as a stale mirror)
  --timeout SECONDS          HTTP timeout without progress (default 30); --retries N (default 3)
  --download-deadline SECONDS  the longest one download may take, retries included (default 600)
  -h, --help                 this text

Static export (docs/static-export.md, "Kept current"):
  --export DIR               after a run that changed advisories, bring the static export in DIR up to
                             date (npm run export, incremental; also the first time DIR has no export
                             manifest); also $EXPORT_DIR. Its outcome is logged and never changes what
                             was ingested or the exit status
  --export-public-url URL    the portal's public address for the export (also $PUBLIC_URL); required
                             with --export
  --export-dynamic-url URL   the live server for search and "Check a server" on exported pages (the
                             export's --dynamic-url; also $DYNAMIC_URL)`

export type LogFormat = 'text' | 'json'

/** --export: the static export kept current after each run that changed data. */
export interface ExportTarget {
  outDir: string
  publicUrl: string
  dynamicUrl: string | null
}

export interface CliOptions {
  dbPath: string
  repos: RepoSpec[]
  /** Repos the configuration lists but disables: the run says so. */
  disabled: DisabledSource[]
  json: boolean
  /** null: text on a terminal, JSON lines otherwise (bin/ingest.ts decides). */
  logFormat: LogFormat | null
  watch: boolean
  intervalMs: number
  wait: boolean
  maxDecompressedBytes: number | undefined
  timeoutMs: number | undefined
  downloadDeadlineMs: number | undefined
  retries: number | undefined
  help: boolean
  allowWithdraw: boolean
  /** null: no export after the run. */
  export: ExportTarget | null
}

export function parseSize (text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim())
  if (m === null) throw new UsageError(`${flag}: "${text}" is not a size (for example 500M or 2G)`)
  const power = ['', 'k', 'm', 'g', 't'].indexOf(m[2]!.toLowerCase())
  return Math.floor(Number(m[1]) * 1024 ** power)
}

export function parseDuration (text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim())
  if (m === null) throw new UsageError(`${flag}: "${text}" is not a duration (for example 90s, 15m or 1h)`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  const ms = Number(m[1]) * unit
  if (ms < 1000) throw new UsageError(`${flag}: ${text} is shorter than one second`)
  return ms
}

function positiveInt (text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: "${text}" is not a whole number`)
  return Number(text)
}

function atLeastOne (text: string, flag: string): number {
  const n = positiveInt(text, flag)
  if (n < 1) throw new UsageError(`${flag}: must be at least 1`)
  return n
}

const flags = {
  db: { type: 'string' },
  config: { type: 'string', multiple: true },
  repo: { type: 'string', multiple: true },
  mirrorlist: { type: 'string', multiple: true },
  product: { type: 'string', multiple: true },
  'product-name': { type: 'string', multiple: true },
  releasever: { type: 'string' },
  basearch: { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  enablerepo: { type: 'string', multiple: true },
  'log-format': { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  wait: { type: 'boolean' },
  'max-decompressed-size': { type: 'string' },
  'allow-withdraw': { type: 'boolean' },
  timeout: { type: 'string' },
  'download-deadline': { type: 'string' },
  retries: { type: 'string' },
  export: { type: 'string' },
  'export-public-url': { type: 'string' },
  'export-dynamic-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

function readFlags (argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, tokens: true, options: flags })
  } catch (err) {
    throw new UsageError(flagMistake(err as Error & { code?: string }))
  }
}

/** Node's parseArgs messages, said shortly, with the flag that was probably meant. */
export function flagMistake (err: Error & { code?: string }, known: string[] = Object.keys(flags)): string {
  const unknown = /^Unknown option '(-{1,2})([^']+)'/.exec(err.message)
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== null) {
    const near = closest(unknown[2]!, known)
    return `unknown option ${unknown[1]!}${unknown[2]!}${near === null ? '' : `; did you mean --${near}?`}`
  }
  const missing = /^Option '(-[^ ']+)(?:, (--[^ ']+))?(?: <value>)?' argument missing/.exec(err.message)
  if (missing !== null) return `${missing[2] ?? missing[1]!} needs a value`
  return err.message
}

function logFormat (text: string | undefined, from: string): LogFormat | null {
  if (text === undefined || text === '') return null
  if (text === 'text' || text === 'json') return text
  throw new UsageError(`${from}: "${text}" is not a log format (text or json)`)
}

type Flags = ReturnType<typeof readFlags>

/** Every option but the repos, each value checked. */
function scalarOptions (values: Flags['values'], env: NodeJS.ProcessEnv): CliOptions {
  return {
    dbPath: values.db ?? env.DB_PATH ?? defaultDbPath,
    repos: [],
    disabled: [],
    json: values.json ?? false,
    // --json prints only the summary: LOG_FORMAT, set for every run, does not apply to it.
    logFormat: values['log-format'] !== undefined ? logFormat(values['log-format'], '--log-format') : values.json === true ? null : logFormat(env.LOG_FORMAT, 'LOG_FORMAT'),
    watch: values.watch ?? false,
    intervalMs: values.interval === undefined ? 15 * 60_000 : parseDuration(values.interval, '--interval'),
    wait: values.wait ?? false,
    maxDecompressedBytes: values['max-decompressed-size'] === undefined ? undefined : parseSize(values['max-decompressed-size'], '--max-decompressed-size'),
    timeoutMs: values.timeout === undefined ? undefined : positiveInt(values.timeout, '--timeout') * 1000,
    downloadDeadlineMs: values['download-deadline'] === undefined ? undefined : atLeastOne(values['download-deadline'], '--download-deadline') * 1000,
    retries: values.retries === undefined ? undefined : positiveInt(values.retries, '--retries'),
    help: values.help ?? false,
    allowWithdraw: values['allow-withdraw'] ?? false,
    export: values.help === true ? null : exportTarget(values, env)
  }
}

/**
 * --export DIR (or EXPORT_DIR, so a unit's environment file can turn it on) with its public address:
 * checked here, at start, so a worker never ingests for hours and then finds it cannot export.
 */
function exportTarget (values: Flags['values'], env: NodeJS.ProcessEnv): ExportTarget | null {
  const outDir = values.export ?? nonEmptyOrNull(env.EXPORT_DIR)
  if (outDir === null) {
    for (const flag of ['export-public-url', 'export-dynamic-url'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} only makes sense with --export DIR`)
    }
    return null
  }
  if (outDir.trim() === '') throw new UsageError('--export must not be empty')
  const from = values['export-public-url'] !== undefined ? '--export-public-url' : 'PUBLIC_URL'
  const publicUrl = values['export-public-url'] ?? nonEmptyOrNull(env.PUBLIC_URL)
  if (publicUrl === null) throw new UsageError('--export needs the portal\'s public address: --export-public-url URL (or PUBLIC_URL); feeds and API documents carry absolute links')
  const dynamicFrom = values['export-dynamic-url'] !== undefined ? '--export-dynamic-url' : 'DYNAMIC_URL'
  const dynamicUrl = values['export-dynamic-url'] ?? nonEmptyOrNull(env.DYNAMIC_URL)
  return { outDir, publicUrl: siteOrigin(publicUrl, from), dynamicUrl: dynamicUrl === null ? null : siteOrigin(dynamicUrl, dynamicFrom) }
}

function nonEmptyOrNull (value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value
}

/** The export's own rule, checked early: an http(s) origin without a path (the pages link from the root). */
function siteOrigin (text: string, from: string): string {
  let url: URL
  try { url = new URL(text) } catch { throw new UsageError(`${from}: "${text}" is not a URL (for example https://security.example.org)`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${from}: "${text}" is not an http or https URL`)
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`${from}: "${text}" must be an origin without a path, query or credentials (the exported pages link from the root)`)
  }
  return url.origin
}

/** A source (--repo, --mirrorlist, --config) with the --product / --product-name that follow it. */
interface SourceGroup { kind: 'repo' | 'mirrorlist' | 'config', value: string, product?: string, productName?: string }

function sourceGroups (tokens: Flags['tokens']): SourceGroup[] {
  const groups: SourceGroup[] = []
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue
    if (token.name === 'repo' || token.name === 'mirrorlist' || token.name === 'config') {
      groups.push({ kind: token.name, value: token.value })
    } else if (token.name === 'product' || token.name === 'product-name') {
      const group = groups[groups.length - 1]
      if (group === undefined) throw new UsageError(`--${token.name} must follow the --repo, --mirrorlist or --config it belongs to`)
      if (token.name === 'product') group.product = token.value
      else group.productName = token.value
    }
  }
  return groups
}

interface Given { variables: Variables, allowedHosts: string[], enable: string[] }

function sourcesOfGroup (group: SourceGroup, given: Given): Sources {
  if (group.kind === 'config' && /\.json$/i.test(group.value)) {
    if (group.product !== undefined) throw new UsageError(`--product does not apply to a JSON configuration (${group.value}): it names its products`)
    const sources = readJsonConfig(group.value, given.variables, given.enable)
    return { ...sources, repos: sources.repos.map((s) => ({ ...s, allowedHosts: [...s.allowedHosts, ...given.allowedHosts] })) }
  }
  if (group.product === undefined) {
    throw new UsageError(group.kind === 'config'
      ? `--config ${group.value} is a .repo file: give --product ID after it`
      : `--${group.kind} ${group.value} needs --product ID after it`)
  }
  const product = { id: checkProductId(group.product, `--product ${group.product}`), name: group.productName ?? group.product }
  if (group.kind === 'config') return reposFromRepoFile(group.value, product, given.variables, given.allowedHosts, given.enable)
  // $releasever / $basearch work here as in a configuration file; several --basearch give one repo each.
  // A relative path is relative to the current directory.
  const kind = group.kind === 'repo' ? 'baseurl' : 'mirrorlist'
  const where = `--${group.kind} ${group.value}`
  const repos = expandVariables(group.value, given.variables, where).map(({ url, used }): RepoSpec => {
    const located = canonical(url, kind, process.cwd(), `--${group.kind}`)
    return { productId: product.id, productName: product.name, url: located, kind, baseurls: kind === 'baseurl' ? [located] : [], name: label(null, used), allowedHosts: given.allowedHosts }
  })
  return { repos, disabled: [], sections: [] }
}

/** Every --enablerepo must name a section of a .repo file given: a typo would silently ingest nothing. */
function checkEnablerepo (patterns: string[], sections: string[]): void {
  for (const pattern of patterns) {
    if (sections.some((s) => enableMatches(pattern, s))) continue
    if (sections.length === 0) throw new UsageError(`--enablerepo ${pattern}: no .repo file was given (--enablerepo names a section of one)`)
    const near = closest(pattern, sections)
    throw new UsageError(`--enablerepo ${pattern}: no section [${pattern}] in the .repo files given${near === null ? ` (sections: ${[...new Set(sections)].join(', ')})` : `; did you mean ${near}?`}`)
  }
}

function nothingToIngest (disabled: DisabledSource[]): UsageError {
  if (disabled.length === 0) return new UsageError('nothing to ingest: give --config FILE, or --repo URL --product ID')
  return new UsageError(`nothing to ingest: every repo given is disabled (${disabled.map((d) => `${d.source}: ${d.reason}`).join('; ')})`)
}

export function parseCliArgs (argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values, tokens } = readFlags(argv)
  const options = scalarOptions(values, env)
  if (options.help) return options
  if (values.interval !== undefined && !options.watch) throw new UsageError('--interval only makes sense with --watch')
  if (values.json === true && values['log-format'] !== undefined) throw new UsageError('--json and --log-format do not go together: --json prints only the summary')

  const variables: Variables = {}
  if (values.releasever !== undefined) variables.releasever = values.releasever
  if (values.basearch !== undefined) variables.basearch = values.basearch.length === 1 ? values.basearch[0]! : values.basearch
  const given: Given = { variables, allowedHosts: values['allow-host'] ?? [], enable: values.enablerepo ?? [] }
  const all = sourceGroups(tokens).map((group) => sourcesOfGroup(group, given))
  checkEnablerepo(given.enable, all.flatMap((s) => s.sections))
  options.repos = dedupe(all.flatMap((s) => s.repos))
  options.disabled = all.flatMap((s) => s.disabled)
  if (options.repos.length === 0) throw nothingToIngest(options.disabled)
  return options
}
