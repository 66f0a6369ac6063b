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

export class AdvisoryMatcher {
  private readonly byName = new Map<string, Applicable[]>()

  constructor (rows: FixedPackageRow[] = []) {
    this.add(rows)
  }

  /** Adds fixed packages to the index (it is built in slices). */
  add (rows: FixedPackageRow[]): void {
    for (const fixed of rows) {
      const entry = { fixed, evr: { epoch: fixed.epoch, version: fixed.version, release: fixed.release } }
      const list = this.byName.get(fixed.name)
      if (list === undefined) this.byName.set(fixed.name, [entry])
      else list.push(entry)
    }
  }

  /** How many fixed packages an installed package of this name is compared with: the cost of matching it. */
  candidateCount (name: string): number {
    return this.byName.get(name)?.length ?? 0
  }

  /**
   * Applicable fixes for one installed package (the newest of its name and arch), newest fix first: every
   * fixed build newer than it, as dnf lists each (advisory, package) pair, so an advisory that lists two newer
   * builds appears with both.
   */
  match (installed: InstalledPackage): Applicable[] {
    const candidates = this.byName.get(installed.name)
    if (candidates === undefined) return []
    const applicable = new Map<string, Applicable>()
    for (const c of candidates) {
      if (!archFits(c.fixed.arch, installed.arch)) continue
      if (compareEvr(c.evr, installedEvr(installed, c.evr.epoch)) <= 0) continue
      applicable.set(`${c.fixed.advisory_id}\n${c.fixed.epoch}:${c.fixed.version}-${c.fixed.release}`, c)
    }
    return [...applicable.values()].sort((a, b) => compareEvr(b.evr, a.evr) || (a.fixed.advisory_id < b.fixed.advisory_id ? -1 : 1))
  }
}
