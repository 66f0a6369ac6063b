// Server settings, read and validated once at start. Each setting is a flag and an environment variable
// (the flag wins); the table below is the one place they are declared: parsing, `--help` and the README's
// settings table all come from it.
import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { defaultDbPath } from '../db/paths.js'

export type TrustProxy = boolean | number | string[]
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface ServerConfig {
  dbPath: string
  host: string
  port: number
  /** The portal's public address (scheme, host, optional path) for absolute URLs in feeds; null: from each request. */
  publicUrl: string | null
  /**
   * Pages as a static copy shows them (docs/static-export.md, "Exported pages"), with search, filters and
   * "Check a server" on this origin; null: the live server's own pages.
   */
  dynamicUrl: string | null
  /** POST /api/v1/query requests per minute per client address. */
  queryRateLimit: number
  /** Which proxies to believe for the client address and scheme (X-Forwarded-For / -Proto / -Host). */
  trustProxy: TrustProxy
  logLevel: LogLevel
  /** One log line per request. */
  accessLog: boolean
}

export class ServerConfigError extends Error {}

interface Setting<K extends keyof ServerConfig> {
  key: K
  flag: string
  env: string
  /** As the operator writes it. */
  fallback: string
  description: string
  parse: (text: string) => ServerConfig[K]
}

const setting = <K extends keyof ServerConfig>(s: Setting<K>): Setting<K> => s
const logLevels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
// proxy-addr's names for address ranges, which Fastify's trustProxy accepts beside addresses and CIDRs.
const rangeNames = ['loopback', 'linklocal', 'uniquelocal']

export const serverSettings = [
  setting({ key: 'dbPath', flag: 'db', env: 'DB_PATH', fallback: defaultDbPath, description: 'SQLite database the server reads (the worker writes it)', parse: (t) => t }),
  setting({ key: 'host', flag: 'host', env: 'HOST', fallback: '127.0.0.1', description: 'Address to listen on (`::` or `0.0.0.0` for every interface)', parse: (t) => t }),
  setting({ key: 'port', flag: 'port', env: 'PORT', fallback: '3000', description: 'TCP port to listen on', parse: parsePort }),
  setting({ key: 'publicUrl', flag: 'public-url', env: 'PUBLIC_URL', fallback: '', description: 'Public address for absolute links in feeds and the API (`https://security.example.org`); empty: from each request\'s Host', parse: checkPublicUrl }),
  setting({ key: 'dynamicUrl', flag: 'dynamic-url', env: 'DYNAMIC_URL', fallback: '', description: 'Render pages as the static export does (`npm run export -- --dynamic-url`): search, filters, "Check a server" and query-string links go to this origin (`https://live.security.example.org`); empty: the live pages', parse: checkDynamicUrl }),
  setting({ key: 'queryRateLimit', flag: 'query-rate-limit', env: 'QUERY_RATE_LIMIT', fallback: '120', description: '`POST /api/v1/query` and `/check` requests per minute per client address', parse: parseRate }),
  setting({ key: 'trustProxy', flag: 'trust-proxy', env: 'TRUST_PROXY', fallback: 'false', description: 'Proxies to believe for the client address and scheme: `false`, `true` (any), a hop count, or addresses/CIDRs/`loopback`, comma-separated', parse: parseTrustProxy }),
  setting({ key: 'logLevel', flag: 'log-level', env: 'LOG_LEVEL', fallback: 'info', description: `Log level: ${logLevels.join(', ')}`, parse: parseLogLevel }),
  setting({ key: 'accessLog', flag: 'access-log', env: 'ACCESS_LOG', fallback: 'off', description: 'One JSON log line per request (`on` or `off`); off costs nothing per request', parse: (t) => parseSwitch('access log', t) })
]

export const serveUsage = `Usage: npm run serve -- ${serverSettings.map((s) => `[--${s.flag} ${s.flag === 'access-log' ? 'on|off' : 'VALUE'}]`).join(' ')}`

export function readServerConfig (argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: argv, options: Object.fromEntries(serverSettings.map((s) => [s.flag, { type: 'string' as const }])) }).values
  } catch (err) {
    throw new ServerConfigError(`${(err as Error).message}\n${serveUsage}`)
  }
  const config: Partial<Record<keyof ServerConfig, unknown>> = {}
  for (const s of serverSettings) {
    const given = values[s.flag] ?? env[s.env]
    config[s.key] = s.parse(typeof given === 'string' ? given : s.fallback)
  }
  return config as ServerConfig
}

function parsePort (text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new ServerConfigError(`port "${text}" is not a TCP port number (0-65535)`)
  return Number(text)
}

function parseRate (text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1) throw new ServerConfigError(`query rate limit "${text}" must be a whole number of requests per minute (at least 1)`)
  return Number(text)
}

export function parseTrustProxy (text: string): TrustProxy {
  const value = text.trim().toLowerCase()
  if (value === 'false' || value === '' || value === '0') return false
  if (value === 'true') return true
  if (/^\d{1,3}$/.test(value)) return Number(value)
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '')
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/')
    const family = isIP(address!)
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))
    if (rangeNames.includes(entry) || (family !== 0 && validBits && extra === undefined)) continue
    throw new ServerConfigError(`trust proxy: "${entry}" is not an address, a CIDR range or one of ${rangeNames.join(', ')} (or use true, false or a hop count)`)
  }
  return entries
}

function parseLogLevel (text: string): LogLevel {
  const level = text.trim().toLowerCase()
  if (!(logLevels as string[]).includes(level)) throw new ServerConfigError(`log level "${text}" is not one of ${logLevels.join(', ')}`)
  return level as LogLevel
}

function parseSwitch (name: string, text: string): boolean {
  const value = text.trim().toLowerCase()
  if (['on', 'true', 'yes', '1'].includes(value)) return true
  if (['off', 'false', 'no', '0', ''].includes(value)) return false
  throw new ServerConfigError(`${name} "${text}" must be on or off`)
}

export function checkPublicUrl (value: string | null, what = 'public URL'): string | null {
  if (value === null || value === '') return null
  let url: URL
  try { url = new URL(value) } catch { throw new ServerConfigError(`${what} "${value}" is not a URL (for example https://security.example.org)`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServerConfigError(`${what} "${value}" must start with http:// or https://`)
  if (url.search !== '' || url.hash !== '') throw new ServerConfigError(`${what} "${value}" must not have a query or fragment`)
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** The live server that static pages send search and "Check a server" to: an origin, since they link from its root. */
export function checkDynamicUrl (value: string): string | null {
  const url = checkPublicUrl(value, 'dynamic URL')
  if (url !== null && new URL(url).pathname !== '/') throw new ServerConfigError(`dynamic URL "${value}" has a path; give the origin the live server answers at (its pages link from the root: /check, /cve/...)`)
  return url
}
