// Read models as the API's JSON: the rows already carry the API's field names; the route's response schema
// serializes only the fields it lists (pk, product_name and the like stay out). Adds absolute html_url and api_url.
import type { AdvisorySummary, ListedPackage } from '../../db/advisory-query.js'
import type { AdvisoryDetail } from '../../db/advisory-read.js'
import { urls } from '../format.js'
import { evr, nevra } from '../../domain/nevra.js'

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
export function summaryJson (base: string, a: AdvisorySummary): AdvisorySummary & { html_url: string, api_url: string } {
  return { ...a, html_url: base + urls.advisory(a.product, a.id), api_url: base + apiUrls.advisory(a.product, a.id) }
}

/** schemas.ts AdvisoryBody */
export function advisoryJson (base: string, a: AdvisoryDetail): AdvisoryDetail & { html_url: string } {
  return { ...a, html_url: base + urls.advisory(a.product, a.id) }
}

/** schemas.ts AdvisoryWithFixes */
export function withFixesJson (base: string, a: AdvisorySummary, fixed: ListedPackage[]): Record<string, unknown> {
  return {
    ...summaryJson(base, a),
    fixed: fixed.map((p) => ({ nevra: nevra(p), name: p.name, evr: evr(p), arch: p.arch }))
  }
}
