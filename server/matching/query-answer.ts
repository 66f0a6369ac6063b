// Answers "which advisories apply to these installed packages?" for the API and the "Check a server" page:
// reads each entry, answers identical packages once, bounds the cost before matching, keeps only the newest
// build of each name and arch (as dnf does) and matches in slices that leave the event loop free.
import { newestInstalled, type AdvisoryMatcher, type Applicable } from './advisory-matcher.js'
import { formatInstalled, parsePackageObject, parseRpmLine, type InstalledPackage } from '../../domain/installed-package.js'
import { nextTurn } from './matcher-index.js'

export interface QueryLimits {
  maxPackages: number
  /** Version comparisons one answer may cost: distinct installed packages x the fixes listed for their names. */
  maxComparisons: number
  /** Applicable advisories one answer may list (installed packages x advisories). */
  maxResults: number
  rateLimit: { max: number, windowMs: number }
}

// Far above a real server (3,000 packages meet a few thousand fixes; a kernel with 300 advisories on two
// arches costs 600 comparisons per installed kernel), far below what would hold the process for seconds.
export const defaultQueryLimits: QueryLimits = { maxPackages: 50_000, maxComparisons: 2_000_000, maxResults: 50_000, rateLimit: { max: 120, windowMs: 60_000 } }

/** One entry as sent: a line of `rpm -qa` output or an object, and where it was (line or array index). */
export interface QueryEntry { index: number, input: string | Record<string, unknown> }

export interface Finding {
  /** The installed package as the input gave it. */
  installed: string
  /** The input gave no epoch: each fix was compared as if the installed epoch were the fix's. */
  epochAssumed: boolean
  advisories: Applicable[]
}

export interface QueryAnswer {
  checked: number
  findings: Finding[]
  /** Installed packages given without an epoch (their epochs were assumed). */
  epochsAssumed: number
  unparsed: Array<{ index: number, input: string, reason: string }>
}

/** 400: the request cannot be answered as it stands. */
export class QueryInputError extends Error {
  readonly statusCode = 400
}

/** 413: the answer would cost more than one request may. */
export class QueryTooLargeError extends Error {
  readonly statusCode = 413
}

// Matching works in slices of about this many milliseconds, then lets other requests run.
const sliceMs = 10

/** The entries of a `text/plain` body: one per line, blank lines and `#` comments skipped. */
export function textEntries (body: string): QueryEntry[] {
  return body.split('\n').map((line, i) => ({ index: i + 1, input: line.replace(/\r$/, '') }))
    .filter((e) => e.input.trim() !== '' && !e.input.startsWith('#'))
}

export async function answerQuery (matcher: AdvisoryMatcher, entries: QueryEntry[], limits: QueryLimits): Promise<QueryAnswer> {
  if (entries.length > limits.maxPackages) throw new QueryInputError(`packages: at most ${limits.maxPackages} per request, got ${entries.length}`)
  let deadline = performance.now() + sliceMs
  const pause = async (): Promise<void> => {
    if (performance.now() < deadline) return
    await nextTurn()
    deadline = performance.now() + sliceMs
  }

  // Identical installed packages are read once; an epoch given and one not given are different inputs.
  const distinct = new Map<string, InstalledPackage>()
  const unparsed: QueryAnswer['unparsed'] = []
  for (const { index, input } of entries) {
    const parsed = typeof input === 'string' ? parseRpmLine(input) : parsePackageObject(input)
    if (!parsed.ok) unparsed.push({ index, input: typeof input === 'string' ? input : JSON.stringify(input), reason: parsed.reason })
    else distinct.set(`${parsed.pkg.epoch ?? '?'} ${formatInstalled(parsed.pkg)}`, parsed.pkg)
    if ((index & 1023) === 0) await pause()
  }
  const installed = newestInstalled(distinct.values())

  let comparisons = 0
  for (const pkg of installed) comparisons += matcher.candidateCount(pkg.name)
  if (comparisons > limits.maxComparisons) {
    throw new QueryTooLargeError(`packages: this query would compare ${installed.length} distinct installed packages with ${comparisons} fixed packages of the same names, over the limit of ${limits.maxComparisons} comparisons per request; send fewer packages per request`)
  }
  const findings: Finding[] = []
  let listed = 0
  for (const pkg of installed) {
    await pause()
    const advisories = matcher.match(pkg)
    if (advisories.length === 0) continue
    listed += advisories.length
    if (listed > limits.maxResults) throw new QueryTooLargeError(`packages: the answer would list more than ${limits.maxResults} applicable advisories; send fewer packages per request`)
    findings.push({ installed: formatInstalled(pkg), epochAssumed: pkg.epoch === null, advisories })
  }
  return { checked: entries.length - unparsed.length, findings, epochsAssumed: installed.filter((p) => p.epoch === null).length, unparsed }
}

/** What the answer says when some epochs were not given: how they were compared, and how to avoid it. */
export function epochNote (count: number): string {
  return `${count} installed package${count === 1 ? ' was' : 's were'} given without an epoch (plain rpm -qa never prints it); each was compared as if its epoch were the fixed build's, as scanners and dnf users expect. For an exact answer send rpm -qa --qf '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n'.`
}
