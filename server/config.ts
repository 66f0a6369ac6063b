// Server configuration, read and validated once at start: flags win over environment variables.
import { parseArgs } from 'node:util'
import { defaultDbPath } from '../db/paths.js'

export interface ServerConfig {
  dbPath: string
  host: string
  port: number
  /** The portal's public address (scheme, host, optional path) for absolute URLs in feeds; null: from each request. */
  publicUrl: string | null
  /** POST /api/v1/query requests per minute per client address. */
  queryRateLimit: number
}

export class ServerConfigError extends Error {}

export function readServerConfig (argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let values
  try {
    values = parseArgs({ args: argv, options: { db: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'public-url': { type: 'string' }, 'query-rate-limit': { type: 'string' } } }).values
  } catch (err) {
    throw new ServerConfigError(`${(err as Error).message}\nUsage: npm run serve -- [--db PATH] [--host H] [--port N] [--public-url URL] [--query-rate-limit N]`)
  }
  const portText = values.port ?? env.PORT ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) throw new ServerConfigError(`port "${portText}" is not a TCP port number (0-65535)`)
  const publicUrl = checkPublicUrl(values['public-url'] ?? env.PUBLIC_URL ?? null)
  const rateText = values['query-rate-limit'] ?? env.QUERY_RATE_LIMIT ?? '120'
  if (!/^\d{1,7}$/.test(rateText) || Number(rateText) < 1) throw new ServerConfigError(`query rate limit "${rateText}" must be a whole number of requests per minute (at least 1)`)
  return { dbPath: values.db ?? env.DB_PATH ?? defaultDbPath, host: values.host ?? env.HOST ?? '127.0.0.1', port, publicUrl, queryRateLimit: Number(rateText) }
}

export function checkPublicUrl (value: string | null): string | null {
  if (value === null || value === '') return null
  let url: URL
  try { url = new URL(value) } catch { throw new ServerConfigError(`public URL "${value}" is not a URL (for example https://security.example.org)`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServerConfigError(`public URL "${value}" must start with http:// or https://`)
  if (url.search !== '' || url.hash !== '') throw new ServerConfigError(`public URL "${value}" must not have a query or fragment`)
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}
