// Route schemas compiled when a route first answers, not when the app starts. The export starts the app to
// render a handful of routes on an incremental pass; compiling every route's validators and serializers up
// front took about 0.35 s of its 2 s budget (docs/static-export.md). The compilers are Fastify's own
// defaults, so what a route accepts and the bytes it sends are the same either way.
import ValidatorSelector from '@fastify/ajv-compiler'
import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type Validate = ((data: unknown) => unknown) & { errors?: unknown }

export function compilersOnFirstUse (): Factories {
  const buildValidator = ValidatorSelector()
  const buildSerializer = SerializerSelector()
  return {
    buildValidator: (externalSchemas, ajvOptions) => {
      // The schemas themselves are checked against JSON Schema's meta-schema by the live server, which compiles
      // them all at start; compiling that meta-schema here cost the export about 0.1 s a run.
      const options = ajvOptions as { customOptions?: object } | undefined
      const compile = buildValidator(externalSchemas as never, { ...options, customOptions: { ...options?.customOptions, validateSchema: false } } as never)
      return (route) => {
        let real: Validate | undefined
        // Fastify reads a failed validation's errors from the function itself.
        const validate: Validate = (data) => {
          real ??= compile(route as never) as Validate
          const result = real(data)
          validate.errors = real.errors
          return result
        }
        return validate as never
      }
    },
    buildSerializer: (externalSchemas, serializerOptions) => {
      const compile = buildSerializer(externalSchemas as never, serializerOptions as never)
      return (route) => {
        let real: ((data: unknown) => string) | undefined
        return (data: unknown) => (real ??= compile(route as never))(data)
      }
    }
  }
}
