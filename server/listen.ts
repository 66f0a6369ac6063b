// Listens on the configured address and stops cleanly on SIGTERM / Ctrl-C (for the entry points in bin/).
import { defaultQueryLimits } from './matching/query-answer.js'
import { buildApp } from './app.js'
import type { ServerConfig } from './config.js'

export async function listen (config: ServerConfig): Promise<void> {
  const app = await buildApp({
    dbPath: config.dbPath,
    logger: true,
    logLevel: config.logLevel,
    accessLog: config.accessLog,
    trustProxy: config.trustProxy,
    publicUrl: config.publicUrl,
    // DYNAMIC_URL unset: the live pages (a static copy without a dynamic host is the export's alone).
    dynamicUrl: config.dynamicUrl ?? undefined,
    queryLimits: { ...defaultQueryLimits, rateLimit: { max: config.queryRateLimit, windowMs: 60_000 } }
  })
  const stop = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await app.listen({ host: config.host, port: config.port })
}
