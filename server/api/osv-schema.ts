// The OSV 1.6 record as this API writes it (the subset of the OSV schema it uses).
import { Type } from 'typebox'
import { Nullable } from './nullable.js'

const Event = Type.Object({ introduced: Type.Optional(Type.String()), fixed: Type.Optional(Type.String()) })

export const OsvRecord = Type.Object({
  schema_version: Type.String(),
  id: Type.String(),
  modified: Type.String({ description: 'RFC 3339 UTC' }),
  published: Type.Optional(Type.String()),
  withdrawn: Type.Optional(Type.String()),
  aliases: Type.Array(Type.String({ description: 'CVE ids' })),
  summary: Type.Optional(Type.String()),
  details: Type.Optional(Type.String()),
  affected: Type.Array(Type.Object({
    package: Type.Object({ ecosystem: Type.String(), name: Type.String(), purl: Type.String() }),
    ranges: Type.Array(Type.Object({ type: Type.String(), events: Type.Array(Event) })),
    ecosystem_specific: Type.Object({ arches: Type.Array(Type.String()), severity: Nullable(Type.String()) })
  })),
  references: Type.Array(Type.Object({ type: Type.String(), url: Type.String() })),
  database_specific: Type.Object({
    product: Type.String(),
    advisory_id: Type.String({ description: 'The advisory id as updateinfo.xml gives it' }),
    severity: Nullable(Type.String()),
    type: Nullable(Type.String()),
    reboot_suggested: Type.Boolean(),
    url: Type.String(),
    signing_key_fingerprint: Type.Optional(Type.String({ description: 'The product\'s package signing key (upper-case hex), when one is configured and was read' }))
  })
})
