// The portal as the benchmark serves it: the real app (same plugins and hooks) plus one bare route that
// returns a constant string of a given size, the baseline each real route is compared with.
import { buildApp } from '../../server/app.js'

const [dbPath, portText] = process.argv.slice(2)
if (dbPath === undefined) throw new Error('usage: bench-server.ts DB [PORT]')
const app = await buildApp({ dbPath, queryLimits: { maxPackages: 50_000, rateLimit: { max: 1_000_000_000, windowMs: 60_000 } } })
const constants = new Map<number, string>()
app.get('/__bench/constant/:bytes', async (request, reply) => {
  const bytes = Number((request.params as { bytes: string }).bytes)
  let body = constants.get(bytes)
  if (body === undefined) { body = 'x'.repeat(bytes); constants.set(bytes, body) }
  return reply.type('text/plain; charset=utf-8').send(body)
})
await app.listen({ host: '127.0.0.1', port: Number(portText ?? 0) })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : ''}\n`)
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
