// Domain rows as the API's JSON: field names from the contract, absolute html_url and api_url.
import type { AdvisorySummary } from '../../db/advisory-query.js'
import type { AdvisoryDetail, PackageRow } from '../../db/advisory-read.js'
import { urls } from '../format.js'
import { evr, nevra } from '../../domain/nevra.js'

const enc = encodeURIComponent

export const apiUrls = {
  advisory: (product: string, id: string): string => `/api/v1/advisories/${enc(id)}?product=${enc(product)}`
}

export function summaryJson (base: string, a: AdvisorySummary): Record<string, unknown> {
  return {
    id: a.id,
    product: a.product,
    type: a.type,
    severity: a.severity,
    title: a.title,
    issued: a.issued,
    updated: a.updated,
    withdrawn: a.withdrawn,
    source_packages: a.sourcePackages,
    cves: a.cves,
    html_url: base + urls.advisory(a.product, a.id),
    api_url: base + apiUrls.advisory(a.product, a.id)
  }
}

export function advisoryJson (base: string, a: AdvisoryDetail): Record<string, unknown> {
  return {
    id: a.id,
    product: a.product,
    type: a.type,
    status: a.status,
    severity: a.severity,
    title: a.title,
    summary: a.summary,
    description: a.description,
    solution: a.solution,
    issued: a.issued,
    updated: a.updated,
    issued_raw: a.issuedRaw,
    updated_raw: a.updatedRaw,
    withdrawn: a.withdrawn,
    reboot_suggested: a.rebootSuggested,
    cves: a.cves,
    references: a.references,
    packages: a.packages.map((p) => ({ name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch, src: p.src, filename: p.filename, collection: p.collection })),
    modules: a.modules,
    html_url: base + urls.advisory(a.product, a.id)
  }
}

export function withFixesJson (base: string, a: AdvisorySummary, fixed: PackageRow[]): Record<string, unknown> {
  return {
    id: a.id,
    product: a.product,
    severity: a.severity,
    type: a.type,
    title: a.title,
    issued: a.issued,
    withdrawn: a.withdrawn,
    fixed: fixed.map((p) => ({ nevra: nevra(p), name: p.name, evr: evr(p), arch: p.arch })),
    html_url: base + urls.advisory(a.product, a.id),
    api_url: base + apiUrls.advisory(a.product, a.id)
  }
}
