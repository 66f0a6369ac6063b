// The baseline the benchmark compares each route with: a bare Fastify app (no plugins, no hooks, logger off)
// in a process of its own, answering every GET and POST with one Buffer, the very bytes the measured route
// answered, under the same content type (and content encoding, when a compressed answer is measured). What
// the portal costs beyond this is the cost of its own work: plugins, hooks, headers, cache look-ups.
//
// Usage: node --import tsx test/bench/baseline-server.ts BODY-FILE CONTENT-TYPE [CONTENT-ENCODING]
// Prints `listening PORT` once it listens on a free loopback port; SIGTERM stops it.
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'

const [bodyFile, contentType, contentEncoding] = process.argv.slice(2)
if (bodyFile === undefined || contentType === undefined) throw new Error('usage: baseline-server.ts BODY-FILE CONTENT-TYPE [CONTENT-ENCODING]')
const body = readFileSync(bodyFile)

const app = Fastify({ logger: false, routerOptions: { maxParamLength: 1000 }, bodyLimit: 64 * 1024 * 1024 })
// Any path: wrk asks for the measured route's own URL, so both servers read the same request bytes.
app.route({
  method: ['GET', 'POST'],
  url: '/*',
  handler: (_request, reply) => {
    reply.type(contentType)
    if (contentEncoding !== undefined && contentEncoding !== '') reply.header('content-encoding', contentEncoding)
    reply.send(body)
  }
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : ''}\n`)
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })
