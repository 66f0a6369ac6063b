// How advisory data is spelled for people: dates in UTC, NEVRA, severity, type and reference labels, counted
// nouns, key fingerprints, descriptions with their links, the commands to run, and the portal's URLs.
import type { AdvisoryHead, PackageRow } from '../db/advisory-read.js'
import { affectedSources } from '../domain/source-name.js'
import { advisoryCommand, packageManagerOf, updateCommand, type PackageManager } from '../domain/update-command.js'
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

/** "1 advisory", "2 advisories". */
export function counted (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => escapes[c]!)

// An http(s) URL in running text; what ends a sentence after it (`.`, `,`, a closing bracket without its
// opening one) is left out, as mail readers and ALAS's own pages do.
const urlInText = /\bhttps?:\/\/[^\s<>"]+/gi

function trimUrl (url: string): string {
  let end = url.length
  for (;;) {
    const last = url[end - 1]!
    if (/[.,;:!?'*]/.test(last)) { end--; continue }
    const open = { ')': '(', ']': '[', '}': '{' }[last]
    if (open !== undefined && url.slice(0, end).split(open).length <= url.slice(0, end).split(last).length - 1) { end--; continue }
    return url.slice(0, end)
  }
}

/**
 * A paragraph of updateinfo text as HTML: everything escaped, and each http(s) URL in it a link that
 * search engines do not follow and that gets no handle on this page. No other scheme is ever a link.
 */
export function linkedText (text: string): string {
  let html = ''
  let at = 0
  for (const m of text.matchAll(urlInText)) {
    const url = trimUrl(m[0])
    const href = safeHref(url)
    if (href === null) continue
    html += `${escapeHtml(text.slice(at, m.index))}<a href="${escapeHtml(url)}" rel="nofollow noopener">${escapeHtml(url)}</a>`
    at = m.index + url.length
  }
  return html + escapeHtml(text.slice(at))
}

const referenceLabels: Record<string, string> = {
  cve: 'CVE',
  bugzilla: 'Bugzilla',
  self: 'Self',
  redhat: 'Red Hat advisory',
  rhsa: 'Red Hat advisory',
  erratum: 'Erratum',
  brsa: 'Bottlerocket advisory',
  ghsa: 'GitHub advisory',
  other: 'Other'
}

/**
 * A reference type for people: "Bugzilla", "Red Hat advisory" (Rocky's errata point at Red Hat's); a type no
 * distribution is known to use is shown as the updateinfo writes it; none, as nothing.
 */
export function referenceLabel (type: string | null, href: string | null = null): string | null {
  if (type === null || type === '') return null
  if (type === 'erratum' && href !== null && /^https?:\/\/[^/]*redhat\.com\//i.test(href)) return 'Red Hat advisory'
  return referenceLabels[type] ?? type
}

/** A key fingerprint as gpg prints it: ten groups of four, two spaces in the middle. */
export function fingerprint (hex: string): string {
  const groups = hex.toUpperCase().match(/.{1,4}/g) ?? []
  if (groups.length !== 10) return groups.join(' ')
  return `${groups.slice(0, 5).join(' ')}  ${groups.slice(5).join(' ')}`
}

const managerNames: Record<PackageManager, string> = { yum: 'yum', dnf: 'dnf', zypper: 'zypper', none: 'none (the OS updates itself)' }

export interface UpdateCommands {
  manager: PackageManager
  managerName: string
  /** By name (`yum update openssl`); null without a package manager or a name. */
  update: string | null
  /** Exactly this advisory; null without a package manager. */
  advisory: string | null
}

/** The commands that apply an advisory, in its product's package manager (domain/update-command.ts). */
export function updateCommands (a: Pick<AdvisoryHead, 'id' | 'package_manager'>, sources: string[]): UpdateCommands {
  const manager = packageManagerOf(a.package_manager, a.id)
  return { manager, managerName: managerNames[manager], update: updateCommand(manager, sources), advisory: advisoryCommand(manager, [a.id]) }
}

export const format = { urls, dateTime, date, nevra, evr, severityLabel, severityClass, typeLabel, advisoryKind, paragraphs, safeHref, byArch, sourcePackages, counted, linkedText, referenceLabel, fingerprint, updateCommands }
