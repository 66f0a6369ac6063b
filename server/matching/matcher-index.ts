// The query's per-product index of fixed packages, kept per data generation. It is read in slices of
// advisories with a turn of the event loop between them, so building it for a large product never holds
// other requests up; the generation read before and after the slices proves they came from one state of the
// data (every ingest that changes advisories bumps it), else the build starts again.
import type { AdvisoryQuery } from '../../db/advisory-query.js'
import type { SummaryStore } from '../../db/summary-store.js'
import { AdvisoryMatcher } from './advisory-matcher.js'

export interface BuiltMatcher { generation: number, matcher: AdvisoryMatcher }

const advisoriesPerSlice = 250
const attempts = 3

export const nextTurn = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

export class MatcherIndex {
  private readonly built = new Map<string, BuiltMatcher>()
  private readonly building = new Map<string, Promise<BuiltMatcher>>()

  constructor (private readonly query: AdvisoryQuery, private readonly summary: SummaryStore,
    /** Runs a read in one snapshot: the fallback when ingests keep committing during sliced builds. */
    private readonly snapshot: <T>(read: (stamp: { generation: number }) => T) => T) {}

  /** The index for `product` at generation `generation` or later. */
  async matcherFor (product: string, generation: number): Promise<BuiltMatcher> {
    const current = this.built.get(product)
    if (current !== undefined && current.generation >= generation) return current
    let pending = this.building.get(product)
    if (pending === undefined) {
      pending = this.build(product).finally(() => this.building.delete(product))
      this.building.set(product, pending)
    }
    const made = await pending
    this.built.set(product, made)
    return made
  }

  private async build (product: string): Promise<BuiltMatcher> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const generation = this.summary.stamp().generation
      const matcher = new AdvisoryMatcher()
      for (let after = 0; ;) {
        const { rows, lastPk } = this.query.fixedPackagesPage(product, after, advisoriesPerSlice)
        if (lastPk === null) break
        matcher.add(rows)
        after = lastPk
        await nextTurn()
      }
      if (this.summary.stamp().generation === generation) return { generation, matcher }
    }
    // Ingests committed during every attempt: read it all in one snapshot, holding the loop this once.
    return this.snapshot((stamp) => ({ generation: stamp.generation, matcher: new AdvisoryMatcher(this.query.fixedPackagesPage(product, 0, -1).rows) }))
  }
}
