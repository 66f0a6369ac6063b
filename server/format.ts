// How advisory data is spelled for people: dates in UTC, NEVRA, severity and type labels, and the portal's URLs.
import type { PackageRow } from '../db/advisory-read.js'
import { affectedSources } from '../domain/source-name.js'
import { yumAdvisoryCommand, yumUpdateCommand } from './shell.js'
import { evr, nevra } from '../domain/nevra.js'

const enc = encodeURIComponent

export const urls = {
  advisory: (product: string, id: string): string => `/${enc(product)}/${enc(id)}`,
  product: (product: string): string => `/${enc(product)}`,
  cve: (cve: string): string => `/cve/${enc(cve)}`,
  package: (name: string): string => `/packages/${enc(name)}`,
  cveRecord: (cve: string): string => `https://www.cve.org/CVERecord?id=${enc(cve)}`,
  nvd: (cve: string): string => `https://nvd.nist.gov/vuln/detail/${enc(cve)}`
}

/** "2024-01-02 03:04 UTC", or only the date when the updateinfo gave no time of day. */
export function dateTime (iso: string | null, raw: string | null = null): string {
  if (iso === null) return raw === null || raw === '' ? 'unknown' : `${raw} (unparsed)`
  const dateOnly = raw !== null && /^\s*\d{4}-\d{2}-\d{2}\s*$/.test(raw)
  return dateOnly ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

export function date (iso: string | null): string {
  return iso === null ? '' : iso.slice(0, 10)
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

export function severityLabel (severity: string | null): string {
  return severity === null ? 'None' : capitalise(severity)
}

/** A CSS class for the badge: known severities get their colour, anything else a neutral one. */
export function severityClass (severity: string | null): string {
  switch (severity) {
    case 'critical': return 'sev-critical'
    case 'important': case 'high': return 'sev-important'
    case 'moderate': case 'medium': return 'sev-moderate'
    case 'low': return 'sev-low'
    default: return 'sev-none'
  }
}

const typeLabels: Record<string, string> = { security: 'Security', bugfix: 'Bug fix', enhancement: 'Enhancement', newpackage: 'New package' }

export function typeLabel (type: string | null): string {
  if (type === null) return 'Unspecified'
  return typeLabels[type] ?? capitalise(type)
}

/** ALAS's heading: "Amazon Linux 2 Security Advisory", "... Bug Fix Advisory", and so on by type. */
export function advisoryKind (type: string | null): string {
  const label = typeLabel(type === null ? 'security' : type)
  return `${label.split(' ').map(capitalise).join(' ')} Advisory`
}

/** Paragraphs of a description: blank lines separate them; single line breaks are kept by CSS. */
export function paragraphs (text: string | null): string[] {
  if (text === null) return []
  return text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/).map((p) => p.replace(/^\n+|\s+$/g, '')).filter((p) => p !== '')
}

/** Only http(s) links are rendered as links: an updateinfo href is untrusted input. */
export function safeHref (href: string | null): string | null {
  if (href === null) return null
  try {
    const url = new URL(href)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null
  } catch {
    return null
  }
}

/** Binary packages grouped by architecture in ALAS's order (alphabetical, src with the rest). */
export function byArch<P extends { arch: string }> (packages: P[]): Array<{ arch: string, packages: P[] }> {
  const groups = new Map<string, P[]>()
  for (const p of packages) {
    const list = groups.get(p.arch)
    if (list === undefined) groups.set(p.arch, [p])
    else list.push(p)
  }
  return [...groups.keys()].sort().map((arch) => ({ arch, packages: groups.get(arch)! }))
}

/** Source package names an advisory fixes (domain/source-name.ts says how they are found). */
export function sourcePackages (packages: PackageRow[]): string[] {
  return affectedSources(packages.map((p) => ({ name: p.name, arch: p.arch, srcName: p.src_name })))
}

export const format = { urls, dateTime, date, nevra, evr, severityLabel, severityClass, typeLabel, advisoryKind, paragraphs, safeHref, byArch, sourcePackages, yumUpdateCommand, yumAdvisoryCommand }
