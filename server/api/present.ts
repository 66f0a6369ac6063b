// Read models as the API's JSON: the rows already carry the API's field names; the route's response schema
// serializes only the fields it lists (pk, product_name and the like stay out). Adds absolute html_url and api_url.
import type { AdvisorySummary, ListedPackage } from '../../db/advisory-query.js'
import type { AdvisoryDetail } from '../../db/advisory-read.js'
import { sourcePackages, updateCommands, urls } from '../format.js'
import { evr, nevra } from '../../domain/nevra.js'
import { preferredUpdateCommand } from '../../domain/update-command.js'

const enc = encodeURIComponent

/**
 * The API's documents at path-only URLs: a static copy of the portal (files on a CDN) answers no query
 * strings, and the live server answers these paths with the same bytes as the ?product= forms.
 */
export const apiUrls = {
  advisory: (product: string, id: string): string => `/api/v1/products/${enc(product)}/advisories/${enc(id)}.json`,
  advisoryOsv: (product: string, id: string): string => `/api/v1/products/${enc(product)}/advisories/${enc(id)}.osv.json`,
  advisoryPage: (product: string, page: number): string => `/api/v1/products/${enc(product)}/advisories/page/${page}.json`,
  osvBundle: (product: string): string => `/api/v1/osv/${enc(product)}/all.ndjson`
}

/** schemas.ts AdvisorySummary */
export function summaryJson (base: string, a: AdvisorySummary): AdvisorySummary & { update_command: string | null, html_url: string, api_url: string } {
  const { manager } = updateCommands(a, a.source_packages)
  return { ...a, update_command: preferredUpdateCommand(manager, a.source_packages, a.id), html_url: base + urls.advisory(a.product, a.id), api_url: base + apiUrls.advisory(a.product, a.id) }
}

/** schemas.ts AdvisoryBody: the key only once read (its fingerprint known). */
export function advisoryJson (base: string, a: AdvisoryDetail): Record<string, unknown> {
  const sources = sourcePackages(a.packages)
  const { manager } = updateCommands(a, sources)
  const key = a.signing_key
  return {
    ...a,
    package_manager: manager,
    update_command: preferredUpdateCommand(manager, sources, a.id),
    signing_key: key === null || key.fingerprint === null
      ? null
      : { fingerprint: key.fingerprint, user_id: key.user_id, created: key.created, import_url: key.import_url },
    html_url: base + urls.advisory(a.product, a.id)
  }
}

/** schemas.ts AdvisoryWithFixes */
export function withFixesJson (base: string, a: AdvisorySummary, fixed: ListedPackage[]): Record<string, unknown> {
  return {
    ...summaryJson(base, a),
    fixed: fixed.map((p) => ({ nevra: nevra(p), name: p.name, evr: evr(p), arch: p.arch }))
  }
}
