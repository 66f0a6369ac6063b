// An advisory as an OSV 1.6 record: id LLSC-<product>-<advisory id> (unique and stable even when two
// products use one advisory id), aliases are its CVEs, one affected entry per binary package name and
// fixed EVR with an ECOSYSTEM range, severity in database_specific (OSV's `severity` takes only CVSS).
import type { AdvisoryDetail } from '../../db/advisory-read.js'
import { safeHref, urls } from '../format.js'
import { evr } from '../../domain/nevra.js'

export const osvSchemaVersion = '1.6.0'

/** Lambda Linux is not a registered OSV ecosystem: "Lambda Linux:<product>" follows the "Name:release" form. */
export const ecosystemOf = (product: string): string => `Lambda Linux:${product}`

/** This database's OSV id prefix is LLSC (Lambda Linux Security Center). */
export const osvId = (product: string, id: string): string => `LLSC-${product}-${id}`

const rfc3339 = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z')

export function toOsv (base: string, a: AdvisoryDetail): Record<string, unknown> {
  // A name fixed at different versions on different arches gets one entry per version.
  const byName = new Map<string, { name: string, evr: string, arches: Set<string> }>()
  for (const p of a.packages) {
    if (p.arch === 'src' || p.arch === 'nosrc') continue
    const key = `${p.name}\n${evr(p)}`
    const entry = byName.get(key)
    if (entry === undefined) byName.set(key, { name: p.name, evr: evr(p), arches: new Set([p.arch]) })
    else entry.arches.add(p.arch)
  }
  const record: Record<string, unknown> = {
    schema_version: osvSchemaVersion,
    id: osvId(a.product, a.id),
    modified: rfc3339(a.last_changed),
    aliases: a.cves,
    affected: [...byName.values()].map((entry) => ({
      package: { ecosystem: ecosystemOf(a.product), name: entry.name, purl: `pkg:rpm/lambda-linux/${encodeURIComponent(entry.name)}?distro=${encodeURIComponent(a.product)}` },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: entry.evr }] }],
      ecosystem_specific: { arches: [...entry.arches].sort(), severity: a.severity }
    })),
    references: [
      { type: 'ADVISORY', url: base + urls.advisory(a.product, a.id) },
      ...a.references.flatMap((r) => {
        const url = safeHref(r.href)
        if (url === null) return []
        return [{ type: r.type === 'bugzilla' ? 'REPORT' : r.type === 'cve' ? 'WEB' : 'ADVISORY', url }]
      })
    ],
    database_specific: {
      product: a.product,
      advisory_id: a.id,
      severity: a.severity,
      type: a.type,
      reboot_suggested: a.reboot_suggested,
      url: base + urls.advisory(a.product, a.id),
      // The product's package signing key, to check the fixed packages with (only once the key was read).
      ...(a.signing_key?.fingerprint != null && { signing_key_fingerprint: a.signing_key.fingerprint })
    }
  }
  if (a.issued !== null) record.published = rfc3339(a.issued)
  if (a.withdrawn && a.withdrawn_at !== null) record.withdrawn = rfc3339(a.withdrawn_at)
  if (a.title !== null) record.summary = a.title
  const details = a.description ?? a.summary
  if (details !== null) record.details = details
  return record
}
