// Validating API documents against the API's own TypeBox schemas, closed at every object: a document with a
// field the schema does not list fails too (the schemas leave additionalProperties open for clients).
import ajv2020 from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'

const Ajv2020 = ajv2020.default
const addFormats = ajvFormats.default

/** A check of `schema`, closed: null when a value passes, else what is wrong. */
export function closedValidator (schema: unknown): (value: unknown) => string | null {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close)
    if (typeof node !== 'object' || node === null) return node
    const copy = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, close(v)]))
    if (copy.type === 'object' && 'properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false
    return copy
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  const validate = ajv.compile(close(JSON.parse(JSON.stringify(schema))) as object)
  return (value) => (validate(value) ? null : ajv.errorsText(validate.errors))
}
