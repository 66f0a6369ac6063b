// A value or null, as a JSON Schema type list (`{ "type": ["string", "null"] }`) rather than anyOf: the
// serializer (fast-json-stringify) writes a type list after a typeof test, but checks every anyOf value with an
// ajv validator compiled on first use. On a 1,000-advisory API page that was one validation per nullable field,
// and the static export paid the validators' compilation on every run. Valid in OpenAPI 3.1, as /openapi.json is.
import { Type, type Static, type TSchema } from 'typebox'

export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] })
