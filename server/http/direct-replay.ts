// Remembered answers sent before Fastify sees the request. A GET whose answer is remembered (answer-cache.ts) is
// answered in the server's own 'request' listener, without Fastify's routing, its request and reply objects
// or its hook runners: on a cached page those were a third of the portal's own cost per request
// (docs/benchmarks.md, "Serving: where the microseconds go"). Only for routes whose every hook the replay may
// leave out, because what it did is in the remembered answer or is done here:
// - the security and CORS hook (security-headers.ts): for a GET it sets the same headers every time, and the
//   remembered answer holds them; it refuses no GET;
// - the replay's own preParsing hook (cache-plugin.ts): this is the same replay, earlier;
// - the metrics' onResponse hooks (plugins/metrics.ts): the answer is counted under its route here.
// Such hooks are named `<what>ByDirectReplay` by `leftOutByDirectReplay` (Fastify binds every hook to its
// instance, so a hook cannot be recognised by identity; a bound function keeps its target's name, and a name set
// on the function survives the bundler, which drops the names of function expressions). Any other hook on the
// route (a rate limit, a same-origin check, the access log, a hook a later plugin adds) keeps its requests on
// Fastify's path.
import type { FastifyRequest } from 'fastify'
import fastifySymbols from 'fastify/lib/symbols.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

const { kRouteContext } = fastifySymbols

/** The hooks Fastify runs for a replayed answer (the replay hijacks the reply: no onSend, no preSerialization). */
const runOnReplay = ['onRequest', 'preParsing', 'onResponse', 'onTimeout', 'onRequestAbort'] as const

const leftOutName = /ByDirectReplay$/

/** Marks a hook as one the direct replay stands in for (see above): `what` names it in profiles and errors. */
export function leftOutByDirectReplay<F extends (...args: never[]) => unknown> (what: string, hook: F): F {
  Object.defineProperty(hook, 'name', { value: `${what}ByDirectReplay` })
  return hook
}

/**
 * Whether a GET of this request's route may be answered before Fastify sees it: every hook Fastify would run
 * for a replayed answer is one the direct replay stands in for. False when Fastify's route context cannot be
 * read (a Fastify that keeps it elsewhere: then nothing is answered early, test/answer-cache.test.ts says so).
 */
export function directlyReplayable (request: FastifyRequest): boolean {
  const context = (request as unknown as Record<symbol, Record<string, unknown> | undefined>)[kRouteContext]
  if (context === undefined || !('onRequest' in context)) return false
  for (const name of runOnReplay) {
    const hooks = context[name]
    if (hooks === null || hooks === undefined) continue
    if (!Array.isArray(hooks)) return false
    for (const hook of hooks as Array<{ name: string }>) if (!leftOutName.test(hook.name)) return false
  }
  return true
}

/** Answers a request and returns true, or returns false and leaves the request to Fastify. */
export type DirectAnswer = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * Puts `answer` in front of the server's request listener (Fastify's). Until `closing` is set: then every
 * request goes to Fastify, which answers 503 while it closes.
 */
export function answerFirst (server: Server, answer: DirectAnswer): { close: () => void } {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
  if (listeners.length !== 1) return { close: () => {} }
  const fastify = listeners[0]!
  let closing = false
  server.removeListener('request', fastify)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let answered = false
    try {
      answered = !closing && answer(req, res)
    } catch {
      // A failure here would take the process down (no Fastify error handler yet): Fastify answers instead, or,
      // once headers went out, the connection is dropped.
      if (res.headersSent) { res.destroy(); return }
    }
    if (!answered) fastify(req, res)
  })
  return { close: () => { closing = true } }
}
