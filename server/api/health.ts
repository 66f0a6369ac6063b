// `/healthz`: the process is up and reads the database. `/readyz`: the schema is current and an ingest has
// succeeded (503 otherwise), with the age of the last successful ingest so a monitor can alert on it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { latestVersion } from '../../db/migrate.js'
import { Health, Ready } from './schemas.js'

export const healthApi: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { operationId: 'health', summary: 'The process is up', tags: ['health'], response: { 200: Health } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return app.data.read((stamp) => ({ status: 'ok', advisories: app.summary.advisoryCount(), data_generation: stamp.generation }))
  })

  app.get('/readyz', { schema: { operationId: 'ready', summary: 'Ready to serve: schema current, data ingested', tags: ['health'], response: { 200: Ready, 503: Ready } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    const schema = app.data.schemaVersion()
    const repos = app.summary.repos()
    const lastSuccess = repos.map((r) => r.lastSuccessAt).filter((v): v is string => v !== null).sort().at(-1) ?? null
    const failed = repos.filter((r) => r.lastStatus === 'failed').length
    const age = lastSuccess === null ? null : Math.max(0, Math.round((Date.now() - Date.parse(lastSuccess)) / 1000))
    let problem: string | null = null
    if (schema !== latestVersion()) problem = `database schema version ${schema}, this program needs ${latestVersion()}`
    else if (lastSuccess === null) problem = 'no ingest has succeeded yet: run "npm run ingest"'
    const body = {
      status: problem === null ? 'ready' : 'not ready',
      schema_version: schema,
      last_ingest_at: lastSuccess,
      last_ingest_age_seconds: age,
      failed_repos: failed,
      message: problem ?? (failed > 0 ? `${failed} repos failed their last ingest (see /products)` : 'ok')
    }
    return reply.code(problem === null ? 200 : 503).send(body)
  })
}
