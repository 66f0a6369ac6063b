// Reads repodata/repomd.xml and finds the updateinfo entry (type="updateinfo", never updateinfo_zck).
import { XMLParser, XMLValidator } from 'fast-xml-parser'

export class RepomdError extends Error { override name = 'RepomdError' }

export interface ChecksumSpec { type: string, value: string }

export interface UpdateinfoEntry {
  href: string
  xmlBase: string | null
  checksum: ChecksumSpec | null
  openChecksum: ChecksumSpec | null
  size: number | null
  openSize: number | null
  timestamp: string | null
}

export interface Repomd {
  revision: string | null
  updateinfo: UpdateinfoEntry | null
}

export interface RepomdWithAge extends Repomd {
  /** The newest <timestamp> of its <data> entries (epoch seconds as written), null when none has one. */
  timestamp: string | null
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => name === 'data'
})

type Node = Record<string, unknown>

function text (value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value.trim()
  if (typeof value === 'object' && '#text' in (value as Node)) return String((value as Node)['#text']).trim()
  return ''
}

function checksum (value: unknown, what: string): ChecksumSpec | null {
  if (value === undefined) return null
  const node = (typeof value === 'object' && value !== null ? value : { '#text': value }) as Node
  const hex = text(node)
  const type = typeof node['@type'] === 'string' ? (node['@type']).trim().toLowerCase() : 'sha256'
  if (hex === null || hex === '') throw new RepomdError(`repomd.xml: the updateinfo ${what} is empty`)
  return { type, value: hex.toLowerCase() }
}

function integer (value: unknown, what: string): number | null {
  const t = text(value)
  if (t === null || t === '') return null
  if (!/^\d+$/.test(t)) throw new RepomdError(`repomd.xml: the updateinfo ${what} "${t}" is not a number`)
  return Number(t)
}

// createrepo_c writes whole seconds; a fraction is tolerated. Anything else is not a time and is ignored.
function newestTimestamp (entries: Node[]): string | null {
  let newest: string | null = null
  for (const d of entries) {
    const t = typeof d === 'object' && d !== null ? text(d.timestamp) : null
    if (t === null || !/^\d{1,15}(\.\d+)?$/.test(t)) continue
    if (newest === null || Number(t) > Number(newest)) newest = t
  }
  return newest
}

/**
 * Whether a repomd is older than the one last ingested: its numeric <revision> or its newest <timestamp>
 * went backwards. A revision that is not a whole number (Rocky's "8.4") is not compared.
 */
export function repomdOlder (now: { revision: string | null, timestamp: string | null }, last: { revision: string | null, timestamp: string | null }): string | null {
  const whole = (v: string | null): v is string => v !== null && /^\d{1,30}$/.test(v)
  if (whole(now.revision) && whole(last.revision) && BigInt(now.revision) < BigInt(last.revision)) {
    return `its revision ${now.revision} is older than ${last.revision}, the last one ingested`
  }
  if (now.timestamp !== null && last.timestamp !== null && Number(now.timestamp) < Number(last.timestamp)) {
    return `its newest timestamp ${now.timestamp} is older than ${last.timestamp}, the last one ingested`
  }
  return null
}

export function parseRepomd (xml: string): Repomd {
  const { revision, updateinfo } = parseRepomdWithAge(xml)
  return { revision, updateinfo }
}

/** parseRepomd, plus how new the repomd is (to refuse a stale mirror). */
export function parseRepomdWithAge (xml: string): RepomdWithAge {
  // Only XML's five entities are allowed: refuse any DTD rather than trust the parser's entity handling.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new RepomdError('repomd.xml contains a DOCTYPE or entity declaration, which is not accepted')
  const valid = XMLValidator.validate(xml)
  if (valid !== true) {
    const where = valid.err.col === undefined ? `line ${valid.err.line}` : `line ${valid.err.line}, column ${valid.err.col}`
    throw new RepomdError(`repomd.xml is not valid XML: ${valid.err.msg} (${where})`)
  }
  const doc = parser.parse(xml) as Node
  const repomd = doc.repomd
  if (repomd === undefined) throw new RepomdError('repomd.xml has no <repomd> root element')
  const root = (typeof repomd === 'object' && repomd !== null ? repomd : {}) as Node
  const entries = (Array.isArray(root.data) ? root.data : []) as Node[]
  // A real repo always lists primary metadata; an empty repomd is a broken mirror, and reading it as
  // "no advisories" would withdraw the whole product.
  if (entries.length === 0) throw new RepomdError('repomd.xml lists no metadata at all (no <data> entries): refusing it as a broken repo')
  const entry = entries.find((d) => typeof d === 'object' && d !== null && d['@type'] === 'updateinfo')
  const timestamp = newestTimestamp(entries)
  if (entry === undefined) return { revision: text(root.revision), timestamp, updateinfo: null }
  const location = entry.location as Node | undefined
  const href = typeof location?.['@href'] === 'string' ? location['@href'].trim() : ''
  if (href === '') throw new RepomdError('repomd.xml: the updateinfo entry has no <location href>')
  const xmlBase = typeof location?.['@base'] === 'string' ? location['@base'].trim() : null
  return {
    revision: text(root.revision),
    timestamp,
    updateinfo: {
      href,
      xmlBase: xmlBase === '' ? null : xmlBase,
      checksum: checksum(entry.checksum, 'checksum'),
      openChecksum: checksum(entry['open-checksum'], 'open-checksum'),
      size: integer(entry.size, 'size'),
      openSize: integer(entry['open-size'], 'open-size'),
      timestamp: text(entry.timestamp)
    }
  }
}
