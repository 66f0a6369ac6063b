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

/** The fixes of one package name, column by column: numbers into the matcher's tables, not an object each. */
interface NameFixes { advisory: number[], evr: number[], arch: number[] }

/**
 * The fixed packages of one product by name. A million advisories fix about seven million binary packages: held
 * as an object (and eight strings) each, the garbage collector's walks over them held the process for a second
 * and more (docs/benchmarks.md, "One million advisories"). So each fix is three small integers in its name's
 * arrays, pointing into tables of the distinct advisories, EVRs and arches; a fix is made an object again only
 * when it applies.
 */
export class AdvisoryMatcher {
  private readonly byName = new Map<string, NameFixes>()
  private readonly advisories: Array<Pick<FixedPackageRow, 'advisory_id' | 'severity' | 'type'>> = []
  private readonly advisoryIndex = new Map<string, number>()
  private readonly evrs: Array<Pick<FixedPackageRow, 'epoch' | 'version' | 'release'>> = []
  private readonly evrIndex = new Map<string, number>()
  private readonly arches: string[] = []
  private readonly archIndex = new Map<string, number>()

  constructor (rows: FixedPackageRow[] = []) {
    this.add(rows)
  }

  /** Adds fixed packages to the index (it is built in slices). */
  add (rows: FixedPackageRow[]): void {
    for (const fixed of rows) {
      let fixes = this.byName.get(fixed.name)
      if (fixes === undefined) {
        fixes = { advisory: [], evr: [], arch: [] }
        this.byName.set(fixed.name, fixes)
      }
      let advisory = this.advisoryIndex.get(fixed.advisory_id)
      if (advisory === undefined) {
        advisory = this.advisories.push({ advisory_id: fixed.advisory_id, severity: fixed.severity, type: fixed.type }) - 1
        this.advisoryIndex.set(fixed.advisory_id, advisory)
      }
      const evrKey = `${fixed.epoch}\n${fixed.version}\n${fixed.release}`
      let evr = this.evrIndex.get(evrKey)
      if (evr === undefined) {
        evr = this.evrs.push({ epoch: fixed.epoch, version: fixed.version, release: fixed.release }) - 1
        this.evrIndex.set(evrKey, evr)
      }
      let arch = this.archIndex.get(fixed.arch)
      if (arch === undefined) {
        arch = this.arches.push(fixed.arch) - 1
        this.archIndex.set(fixed.arch, arch)
      }
      fixes.advisory.push(advisory)
      fixes.evr.push(evr)
      fixes.arch.push(arch)
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
    const arch = this.archIndex.get(installed.arch)
    if (fixes === undefined || arch === undefined) return []
    const applicable = new Map<string, Applicable>()
    for (let i = 0; i < fixes.advisory.length; i++) {
      if (fixes.arch[i] !== arch) continue
      const evr = this.evrs[fixes.evr[i]!]!
      if (compareEvr(evr, installedEvr(installed, evr.epoch)) <= 0) continue
      const key = `${fixes.advisory[i]!} ${fixes.evr[i]!}`
      if (applicable.has(key)) continue
      const advisory = this.advisories[fixes.advisory[i]!]!
      const fixed: FixedPackageRow = { ...advisory, name: installed.name, epoch: evr.epoch, version: evr.version, release: evr.release, arch: installed.arch }
      applicable.set(key, { fixed, evr })
    }
    return [...applicable.values()].sort((a, b) => compareEvr(b.evr, a.evr) || (a.fixed.advisory_id < b.fixed.advisory_id ? -1 : 1))
  }
}
