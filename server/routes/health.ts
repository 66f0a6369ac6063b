// `/healthz`: the process is up and can read the database.
import type { FastifyInstance } from 'fastify'
import type { Portal } from '../portal.js'

export function registerHealth (app: FastifyInstance, portal: Portal): void {
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return { status: 'ok', advisories: portal.summary.advisoryCount(), data_generation: portal.summary.stamp().generation }
  })
}
