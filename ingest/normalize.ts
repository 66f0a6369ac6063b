// Turns a raw <update> into the stored Advisory: dates to UTC, severity case, flags, epochs, CVE ids,
// source package names.
// The rules are the ones in docs/ingest.md; every raw value that is reinterpreted is kept beside it.
import type { Advisory, AdvisoryCollection, AdvisoryPackage, AdvisoryReference } from '../db/advisory.js'
import { cveIdsInText } from '../domain/cve.js'
import { sourceName } from '../domain/source-name.js'
import { isoSeconds } from '../domain/time.js'
import type { RawPackage, RawUpdate } from './updateinfo-parser.js'

const dateRe = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{3,4})?$/

/**
 * Epoch seconds, or `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]]` with an optional `Z`, `±HH:MM` or zone
 * abbreviation. Abbreviations (UTC, GMT, CEST, ...) are read as UTC, as libsolv does.
 * Returns ISO 8601 UTC (`2016-03-22T17:30:00Z`) or null when the text is no date.
 */
export function parseUpdateinfoDate (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = raw.trim()
  if (text === '') return null
  if (/^\d{1,12}$/.test(text)) return isoSeconds(Number(text) * 1000)
  const m = dateRe.exec(text)
  if (m === null) return null
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m
  const year = Number(y); const month = Number(mo); const day = Number(d)
  const hour = Number(h); const minute = Number(mi); const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null
  let ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59))
  const check = new Date(ms)
  if (check.getUTCDate() !== day) return null // 2023-02-30
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  }
  return isoSeconds(ms)
}

/**
 * One rule for reboot/restart/relogin_suggested: an absent element is false; an element whose text is
 * "false", "0", "no" or "off" (any case) is false; any other element, empty included, is true.
 * createrepo_c writes the element only when the flag is set, so presence means true.
 */
export function parseFlag (raw: string | undefined): boolean {
  if (raw === undefined) return false
  return !/^(false|0|no|off)$/i.test(raw.trim())
}

// Amazon double-escapes apostrophes (`&amp;#039;`), so the parsed text holds `&#039;`.
function decodeNumericReferences (text: string): string {
  return text.replace(/&#(?:x([0-9a-fA-F]{1,6})|(\d{1,7}));/g, (whole, hex: string | undefined, dec: string | undefined) => {
    const code = hex !== undefined ? parseInt(hex, 16) : Number(dec)
    const printable = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff))
    return printable ? String.fromCodePoint(code) : whole
  })
}

function optional (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = raw.trim()
  return text === '' ? null : text
}

// Long text keeps its layout (paragraphs, indentation) but drops surrounding blank lines and trailing space.
function prose (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = decodeNumericReferences(raw).replace(/\r\n?/g, '\n').replace(/^\s*\n/, '').trimEnd()
  return text.trim() === '' ? null : text
}

function collectCves (into: Set<string>, text: string | null | undefined): void {
  if (text === null || text === undefined) return
  for (const match of text.matchAll(cveIdsInText())) into.add(match[0].toUpperCase())
}

function normalizePackage (raw: RawPackage): AdvisoryPackage | null {
  const name = optional(raw.name)
  if (name === null) return null
  const epoch = optional(raw.epoch)
  const src = optional(raw.src)
  return {
    name,
    epoch: epoch !== null && /^\d+$/.test(epoch) ? String(BigInt(epoch)) : '0',
    version: optional(raw.version) ?? '',
    release: optional(raw.release) ?? '',
    arch: optional(raw.arch) ?? '',
    src,
    srcName: sourceName(src),
    filename: optional(raw.filename),
    sumType: optional(raw.sumType)?.toLowerCase() ?? null,
    sum: optional(raw.sum)?.toLowerCase() ?? null,
    rebootSuggested: parseFlag(raw.rebootSuggested),
    restartSuggested: parseFlag(raw.restartSuggested),
    reloginSuggested: parseFlag(raw.reloginSuggested)
  }
}

export interface Normalized { advisory: Advisory, warnings: string[] }

/** Null when the update has no id (yum skips such notices too). */
export function normalizeUpdate (raw: RawUpdate): Normalized | null {
  const id = optional(raw.id)
  if (id === null) return null
  const warnings: string[] = []

  const issued = parseUpdateinfoDate(raw.issued)
  const updated = parseUpdateinfoDate(raw.updated)
  if (issued === null && optional(raw.issued) !== null) warnings.push(`${id}: unparseable issued date "${raw.issued ?? ''}" stored as unknown`)
  if (updated === null && optional(raw.updated) !== null) warnings.push(`${id}: unparseable updated date "${raw.updated ?? ''}" stored as unknown`)

  const severityRaw = raw.severity === undefined ? null : raw.severity
  // "None" (AL2023, RH clones) and an empty element both mean: no severity.
  const lowered = optional(raw.severity)?.toLowerCase() ?? null
  const severity = lowered === 'none' ? null : lowered

  const references: AdvisoryReference[] = raw.references.map((r) => ({
    type: optional(r.type)?.toLowerCase() ?? null,
    id: optional(r.id),
    href: optional(r.href),
    title: r.title === undefined ? null : decodeNumericReferences(r.title.trim()) || null
  }))

  const collections: AdvisoryCollection[] = raw.collections.map((c) => ({
    short: optional(c.short),
    name: optional(c.name),
    modules: c.modules.map((m) => ({
      name: optional(m.name),
      stream: optional(m.stream),
      version: optional(m.version),
      context: optional(m.context),
      arch: optional(m.arch)
    })),
    packages: c.packages.map(normalizePackage).filter((p): p is AdvisoryPackage => p !== null)
  }))
  const droppedPackages = raw.collections.reduce((n, c) => n + c.packages.length, 0) -
    collections.reduce((n, c) => n + c.packages.length, 0)
  if (droppedPackages > 0) warnings.push(`${id}: ${droppedPackages} package(s) without a name skipped`)

  const title = raw.title === undefined ? null : optional(decodeNumericReferences(raw.title))
  const cves = new Set<string>()
  for (const r of references) {
    if (r.type === 'cve') collectCves(cves, r.id)
    collectCves(cves, r.title)
    collectCves(cves, r.href)
  }
  collectCves(cves, title)

  const rebootSuggested = parseFlag(raw.rebootSuggested) ||
    collections.some((c) => c.packages.some((p) => p.rebootSuggested))

  return {
    warnings,
    advisory: {
      id,
      type: optional(raw.type)?.toLowerCase() ?? null,
      status: optional(raw.status)?.toLowerCase() ?? null,
      version: optional(raw.version),
      from: optional(raw.from),
      author: optional(raw.author),
      title,
      issued,
      issuedRaw: raw.issued ?? null,
      updated,
      updatedRaw: raw.updated ?? null,
      severity,
      severityRaw,
      summary: prose(raw.summary),
      description: prose(raw.description),
      solution: prose(raw.solution),
      rights: optional(raw.rights),
      release: optional(raw.release),
      pushcount: optional(raw.pushcount),
      rebootSuggested,
      references,
      collections,
      cves: [...cves].sort()
    }
  }
}
