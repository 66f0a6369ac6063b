// GET /metrics in Prometheus text format (to be filled in: issue 14).
import fp from 'fastify-plugin'

export default fp(async () => {}, { name: 'metrics', dependencies: ['database'] })
