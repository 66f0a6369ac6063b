// Which advisories apply to installed packages: a fixed package of the same name, a compatible arch (the
// same, or noarch) and a higher EVR than the installed one. One index per product and data generation.
import type { FixedPackageRow } from '../../db/advisory-query.js'
import type { InstalledPackage } from './installed.js'
import { compareEvr, type Evr } from './version.js'

export interface Applicable { fixed: FixedPackageRow, evr: Evr }

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

  /** Applicable fixes for one installed package, the newest fix first, one per advisory. */
  match (installed: InstalledPackage): Applicable[] {
    const candidates = this.byName.get(installed.name)
    if (candidates === undefined) return []
    const current: Evr = { epoch: installed.epoch, version: installed.version, release: installed.release }
    const best = new Map<string, Applicable>()
    for (const c of candidates) {
      if (c.fixed.arch !== installed.arch && c.fixed.arch !== 'noarch') continue
      if (compareEvr(c.evr, current) <= 0) continue
      const seen = best.get(c.fixed.advisoryId)
      // An advisory listing the package for both the installed arch and noarch counts once, by its own arch.
      if (seen === undefined || (seen.fixed.arch === 'noarch' && c.fixed.arch === installed.arch)) best.set(c.fixed.advisoryId, c)
    }
    return [...best.values()].sort((a, b) => compareEvr(b.evr, a.evr) || (a.fixed.advisoryId < b.fixed.advisoryId ? -1 : 1))
  }
}
