// RPM version comparison exactly as rpm 4.18 does it: rpmvercmp() on version and release strings, and
// [epoch:]version[-release] parsing with epochs compared as numbers (missing = 0).

const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c)

/** rpmvercmp(): -1, 0 or 1. Separators are skipped; `~` sorts before anything, `^` after the end of a version. */
export function rpmvercmp (a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== '~' && a[i] !== '^') i++
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== '~' && b[j] !== '^') j++
    const x = a[i] ?? ''
    const y = b[j] ?? ''
    if (x === '~' || y === '~') {
      if (x !== '~') return 1
      if (y !== '~') return -1
      i++; j++
      continue
    }
    if (x === '^' || y === '^') {
      if (x === '') return -1
      if (y === '') return 1
      if (x !== '^') return 1
      if (y !== '^') return -1
      i++; j++
      continue
    }
    if (x === '' || y === '') break
    const numeric = isDigit(x)
    const inSegment = numeric ? isDigit : isAlpha
    let ei = i
    let ej = j
    while (ei < a.length && inSegment(a[ei]!)) ei++
    while (ej < b.length && inSegment(b[ej]!)) ej++
    // A numeric segment is newer than an alphabetic one.
    if (ej === j) return numeric ? 1 : -1
    let one = a.slice(i, ei)
    let two = b.slice(j, ej)
    if (numeric) {
      one = one.replace(/^0+/, '')
      two = two.replace(/^0+/, '')
      if (one.length !== two.length) return one.length > two.length ? 1 : -1
    }
    if (one !== two) return one < two ? -1 : 1
    i = ei
    j = ej
  }
  if (i >= a.length && j >= b.length) return 0
  return i >= a.length ? -1 : 1
}

export interface Evr { epoch: string | null, version: string, release: string | null }

/** rpm's parseEVR: leading digits then ':' are the epoch; the last '-' after them starts the release. */
export function parseEvr (evr: string): Evr {
  let s = 0
  while (s < evr.length && isDigit(evr[s]!)) s++
  const dash = evr.lastIndexOf('-')
  const versionEnd = dash >= s ? dash : -1
  let epoch: string | null = null
  let versionStart = 0
  if (evr[s] === ':') {
    epoch = evr.slice(0, s) === '' ? '0' : evr.slice(0, s)
    versionStart = s + 1
  }
  return {
    epoch,
    version: evr.slice(versionStart, versionEnd === -1 ? evr.length : versionEnd),
    release: versionEnd === -1 ? null : evr.slice(versionEnd + 1)
  }
}

function compareEpoch (a: string | null, b: string | null): -1 | 0 | 1 {
  const x = (a ?? '0').replace(/^0+/, '')
  const y = (b ?? '0').replace(/^0+/, '')
  if (x.length !== y.length) return x.length > y.length ? 1 : -1
  return x === y ? 0 : x < y ? -1 : 1
}

/** rpmVersionCompare on parsed EVRs: epoch, then version, then release when both have one. */
export function compareEvr (a: Evr, b: Evr): -1 | 0 | 1 {
  const epoch = compareEpoch(a.epoch, b.epoch)
  if (epoch !== 0) return epoch
  const version = rpmvercmp(a.version, b.version)
  if (version !== 0) return version
  if (a.release !== null && b.release !== null) return rpmvercmp(a.release, b.release)
  return 0
}
