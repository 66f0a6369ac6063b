// Fastify's internal symbols (lib/symbols.js, CommonJS, no types of its own): only the route context is read,
// by the direct replay (server/http/direct-replay.ts), to see which hooks a route runs.
declare module 'fastify/lib/symbols.js' {
  const symbols: { kRouteContext: symbol }
  export default symbols
}
