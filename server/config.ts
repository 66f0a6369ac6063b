// Server configuration, read and validated once at start: flags win over environment variables.
import { parseArgs } from 'node:util'
import { defaultDbPath } from '../db/paths.js'

export interface ServerConfig { dbPath: string, host: string, port: number }

export class ServerConfigError extends Error {}

export function readServerConfig (argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let values
  try {
    values = parseArgs({ args: argv, options: { db: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } } }).values
  } catch (err) {
    throw new ServerConfigError(`${(err as Error).message}\nUsage: npm run serve -- [--db PATH] [--host H] [--port N]`)
  }
  const portText = values.port ?? env.PORT ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) throw new ServerConfigError(`port "${portText}" is not a TCP port number (0-65535)`)
  return { dbPath: values.db ?? env.DB_PATH ?? defaultDbPath, host: values.host ?? env.HOST ?? '127.0.0.1', port }
}
