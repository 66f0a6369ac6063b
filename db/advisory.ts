// The advisory as the ingest worker stores it: updateinfo.xml's <update>, normalised.

export interface AdvisoryReference {
  type: string | null
  id: string | null
  href: string | null
  title: string | null
}

export interface AdvisoryModule {
  name: string | null
  stream: string | null
  version: string | null // larger than 2^53: text
  context: string | null
  arch: string | null
}

export interface AdvisoryPackage {
  name: string
  epoch: string // "0" when missing
  version: string
  release: string
  arch: string
  src: string | null
  srcName: string | null // the source package's name, from src (domain/source-name.ts); null when src is no RPM file name
  filename: string | null
  sumType: string | null
  sum: string | null
  rebootSuggested: boolean
  restartSuggested: boolean
  reloginSuggested: boolean
}

export interface AdvisoryCollection {
  short: string | null
  name: string | null
  modules: AdvisoryModule[]
  packages: AdvisoryPackage[]
}

export interface Advisory {
  id: string
  type: string | null
  status: string | null
  version: string | null
  from: string | null
  author: string | null
  title: string | null
  issued: string | null // ISO 8601 UTC
  issuedRaw: string | null
  updated: string | null
  updatedRaw: string | null
  severity: string | null // lower-cased
  severityRaw: string | null
  summary: string | null
  description: string | null
  solution: string | null
  rights: string | null
  release: string | null
  pushcount: string | null
  rebootSuggested: boolean // update-level flag or any package's
  references: AdvisoryReference[]
  collections: AdvisoryCollection[]
  cves: string[] // from cve references, reference titles/hrefs and the title; sorted, unique
}
