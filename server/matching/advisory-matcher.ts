// Which advisories apply to a server, as `dnf updateinfo list` decides it: for each name and arch installed,
// only the newest installed build counts; a fix applies when it has the same name, an arch that fits the
// installed one and a higher EVR. An installed build whose epoch was not given is compared as if it had the
// fix's epoch (plain `rpm -qa` never prints epochs). One index per product and data generation.
import type { FixedPackageRow } from '../../db/advisory-query.js'
import type { InstalledPackage } from '../../domain/installed-package.js'
import { compareEvr, type Evr } from '../../domain/rpm-version.js'

export interface Applicable { fixed: FixedPackageRow, evr: Evr }

/** A fix for `fixArch` is offered to a package installed for `installedArch` (dnf: the same arch). */
export function archFits (fixArch: string, installedArch: string): boolean {
  return fixArch === installedArch
}

/** An installed build's EVR for comparing with a fix: an epoch not given is taken to be the fix's. */
export function installedEvr (installed: InstalledPackage, fixEpoch: string | null): Evr {
  return { epoch: installed.epoch ?? fixEpoch, version: installed.version, release: installed.release }
}

/** The newest of each installed name and arch, as dnf's `installed().latest()`; an unknown epoch ties. */
export function newestInstalled (packages: Iterable<InstalledPackage>): InstalledPackage[] {
  const newest = new Map<string, InstalledPackage>()
  for (const p of packages) {
    const key = `${p.name}\n${p.arch}`
    const seen = newest.get(key)
    if (seen === undefined || compareEvr(installedEvr(p, seen.epoch), installedEvr(seen, p.epoch)) > 0) newest.set(key, p)
  }
  return [...newest.values()]
}

/** A growing column of integers, kept outside the garbage-collected heap (nothing there for the collector to walk or move). */
class IntColumn {
  private data = new Int32Array(8)
  length = 0

  push (value: number): number {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length] = value
    return this.length++
  }

  at (i: number): number { return this.data[i]! }
}

/**
 * Strings kept as UTF-8 bytes in one growing buffer outside the heap, each read back when it is needed: a
 * million advisories' ids, versions and releases as three million strings made each of the collector's pauses
 * over them about a tenth of a second.
 */
class TextArena {
  private bytes = Buffer.allocUnsafe(1 << 16)
  private used = 0

  /** Appends `text`; returns where it starts (its end is where the next text starts, or `end`). */
  push (text: string): number {
    const start = this.used
    const room = text.length * 3
    if (start + room > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, start + room))
      this.bytes.copy(grown, 0, 0, start)
      this.bytes = grown
    }
    this.used += this.bytes.write(text, start, 'utf8')
    return start
  }

  get end (): number { return this.used }

  text (start: number, end: number): string { return this.bytes.toString('utf8', start, end) }
}

/** A column of values from a small set (arches, severities, types, epochs): each value a number into the set. */
class Labels<T> {
  private readonly values: T[] = []
  private readonly index = new Map<T, number>()

  numberOf (value: T): number {
    let n = this.index.get(value)
    if (n === undefined) {
      n = this.values.push(value) - 1
      this.index.set(value, n)
    }
    return n
  }

  /** Every value, by its number. */
  get all (): readonly T[] { return this.values }

  value (n: number): T { return this.values[n]! }
}

/** The fixes of one package name: (advisory, EVR, arch) triples, numbers into the matcher's tables. */
interface NameFixes { advisory: IntColumn, evr: IntColumn, arch: IntColumn }

/**
 * The fixed packages of one product by name. A million advisories fix about seven million binary packages: held
 * as an object (and eight strings) each, the garbage collector's pauses over them held the process for seconds
 * (docs/benchmarks.md, "One million advisories"). So a fix is three integers in its name's columns, outside the
 * heap, pointing into tables of the advisories and EVRs, themselves kept column by column (an id, a version and a
 * release each, as bytes in one buffer; the rest numbers); a fix is made an object again only when it applies.
 */
export class AdvisoryMatcher {
  private readonly byName = new Map<string, NameFixes>()
  private readonly text = new TextArena()
  /** Per advisory: where its id starts and ends in `text`, its severity and type (in `labels`). */
  private readonly advisoryId = new IntColumn()
  private readonly advisoryIdEnd = new IntColumn()
  private readonly advisorySeverity = new IntColumn()
  private readonly advisoryType = new IntColumn()
  /** Per EVR: its epoch, and where its version and release start in `text` (the release ends at evrEnd). */
  private readonly evrEpoch = new IntColumn()
  private readonly evrVersion = new IntColumn()
  private readonly evrRelease = new IntColumn()
  private readonly evrEnd = new IntColumn()
  private readonly labels = new Labels<string | null>()
  private readonly arches = new Labels<string>()

  constructor (rows: FixedPackageRow[] = []) {
    this.add(rows)
  }

  /**
   * Adds fixed packages to the index (it is built in slices, each holding all the rows of its advisories). The
   * advisories and EVRs are told apart within the slice only: maps of every advisory and EVR of a million held
   * their keys for good and paused the process whenever they grew.
   */
  add (rows: FixedPackageRow[]): void {
    const advisoryIndex = new Map<string, number>()
    const evrIndex = new Map<string, number>()
    for (const fixed of rows) {
      let fixes = this.byName.get(fixed.name)
      if (fixes === undefined) {
        fixes = { advisory: new IntColumn(), evr: new IntColumn(), arch: new IntColumn() }
        this.byName.set(fixed.name, fixes)
      }
      let advisory = advisoryIndex.get(fixed.advisory_id)
      if (advisory === undefined) {
        advisory = this.advisoryId.push(this.text.push(fixed.advisory_id))
        this.advisoryIdEnd.push(this.text.end)
        this.advisorySeverity.push(this.labels.numberOf(fixed.severity))
        this.advisoryType.push(this.labels.numberOf(fixed.type))
        advisoryIndex.set(fixed.advisory_id, advisory)
      }
      const evrKey = `${fixed.epoch}\n${fixed.version}\n${fixed.release}`
      let evr = evrIndex.get(evrKey)
      if (evr === undefined) {
        evr = this.evrVersion.push(this.text.push(fixed.version))
        this.evrRelease.push(this.text.push(fixed.release))
        this.evrEnd.push(this.text.end)
        this.evrEpoch.push(this.labels.numberOf(fixed.epoch))
        evrIndex.set(evrKey, evr)
      }
      fixes.advisory.push(advisory)
      fixes.evr.push(evr)
      fixes.arch.push(this.arches.numberOf(fixed.arch))
    }
  }

  /** How many fixed packages an installed package of this name is compared with: the cost of matching it. */
  candidateCount (name: string): number {
    return this.byName.get(name)?.advisory.length ?? 0
  }

  /**
   * Applicable fixes for one installed package (the newest of its name and arch), newest fix first: every
   * fixed build newer than it, as dnf lists each (advisory, package) pair, so an advisory that lists two newer
   * builds appears with both.
   */
  match (installed: InstalledPackage): Applicable[] {
    const fixes = this.byName.get(installed.name)
    if (fixes === undefined) return []
    // archFits decides, once per arch the index holds, not once per fix.
    const fits = this.arches.all.map((arch) => archFits(arch, installed.arch))
    const applicable = new Map<string, Applicable>()
    for (let i = 0; i < fixes.advisory.length; i++) {
      if (!fits[fixes.arch.at(i)]!) continue
      const e = fixes.evr.at(i)
      const releaseStart = this.evrRelease.at(e)
      const evr = { epoch: this.labels.value(this.evrEpoch.at(e))!, version: this.text.text(this.evrVersion.at(e), releaseStart), release: this.text.text(releaseStart, this.evrEnd.at(e)) }
      if (compareEvr(evr, installedEvr(installed, evr.epoch)) <= 0) continue
      const a = fixes.advisory.at(i)
      const id = this.text.text(this.advisoryId.at(a), this.advisoryIdEnd.at(a))
      // One entry per advisory and build, however many times the advisory lists it.
      const key = `${id}\n${evr.epoch}\n${evr.version}\n${evr.release}`
      if (applicable.has(key)) continue
      const fixed: FixedPackageRow = { advisory_id: id, severity: this.labels.value(this.advisorySeverity.at(a)), type: this.labels.value(this.advisoryType.at(a)), name: installed.name, ...evr, arch: this.arches.value(fixes.arch.at(i)) }
      applicable.set(key, { fixed, evr })
    }
    return [...applicable.values()].sort((a, b) => compareEvr(b.evr, a.evr) || (a.fixed.advisory_id < b.fixed.advisory_id ? -1 : 1))
  }
}
