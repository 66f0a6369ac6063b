// The portal as the benchmark serves it: the real app (same plugins and hooks) plus one bare route that
// returns a constant string, the baseline each real route is compared with. The benchmark stores there the
// very bytes the measured route answered, so the baseline has the same size and the same content (the
// load generator's own cost depends on the content: a body of "x" parses several times faster).
import { buildApp } from '../../server/app.js'
import { defaultQueryLimits } from '../../server/matching/query-answer.js'

const [dbPath, portText] = process.argv.slice(2)
if (dbPath === undefined) throw new Error('usage: bench-server.ts DB [PORT]')
const app = await buildApp({ dbPath, queryLimits: { ...defaultQueryLimits, rateLimit: { max: 1_000_000_000, windowMs: 60_000 } } })
const constants = new Map<string, string>()
app.put('/__bench/constant/:key', { bodyLimit: 64 * 1024 * 1024 }, async (request, reply) => {
  constants.set((request.params as { key: string }).key, request.body as string)
  return reply.code(204).send()
})
app.get('/__bench/constant/:key', async (request, reply) => {
  return reply.type('text/plain; charset=utf-8').send(constants.get((request.params as { key: string }).key) ?? '')
})
await app.listen({ host: '127.0.0.1', port: Number(portText ?? 0) })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : ''}\n`)
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
