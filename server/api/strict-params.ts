// The API refuses query parameters it does not know, naming them: a typo (`severty=critical`) must not
// silently answer everything, and junk parameters (`&_=N`) must not make new cache entries.
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify'
import type { SchemaErrorDataVar } from 'fastify/types/schema.js'

export function closeApiQuerystrings (app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return
    const schema = route.schema ?? (route.schema = {})
    const querystring = (schema.querystring ?? { type: 'object', properties: {} }) as Record<string, unknown>
    schema.querystring = { ...querystring, additionalProperties: false }
  })
}

/** Fastify's own wording ("querystring/limit must be ..."), but an unknown parameter leads with its name as our own 400s do. */
export function schemaErrorFormatter (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  return new Error(errors.map((e) => {
    const unknown = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }).additionalProperty : undefined
    if (unknown !== undefined && dataVar === 'querystring') return `${unknown}: unknown parameter "${unknown}"; /openapi.json lists the parameters of every endpoint`
    if (unknown !== undefined) return `${dataVar}${e.instancePath}: unknown property "${unknown}"`
    return `${dataVar}${e.instancePath} ${e.message ?? 'is not valid'}`
  }).join(', '))
}
