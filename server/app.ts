// Builds the Fastify application over a read-only database; never listens (server/main.ts does).
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { assertSchemaCurrent } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { projectRoot } from '../db/paths.js'
import { SummaryStore } from '../db/summary-store.js'
import { createViews } from './views.js'

export interface AppOptions { dbPath: string, logger?: boolean }

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  // The server only reads: ingests write through their own connection, WAL lets both run at once.
  if (!existsSync(options.dbPath)) throw new Error(`database ${options.dbPath} does not exist: run "npm start" or "npm run ingest" first`)
  const db = openDatabase(options.dbPath, { readonly: true })
  assertSchemaCurrent(db)
  const summary = new SummaryStore(db)
  const views = createViews()

  const app = Fastify({ logger: options.logger ?? false })
  app.addHook('onClose', () => { db.close() })
  await app.register(fastifyStatic, { root: join(projectRoot, 'public'), prefix: '/static/' })

  app.get('/healthz', async () => ({ status: 'ok', advisories: summary.advisoryCount(), data_generation: summary.dataGeneration() }))

  app.get('/', async (_request, reply) => {
    const html = views.render('index', { title: 'Lambda Linux Security Center', products: summary.products(), total: summary.advisoryCount() })
    return await reply.type('text/html; charset=utf-8').send(html)
  })

  return app
}
