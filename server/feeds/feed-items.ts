// A feed's entries and their HTML, kept for its other formats. The RSS, Atom and JSON Feed of one feed list the
// same advisories, and the static export renders them one after another: without this each format read its
// items, their packages and descriptions, and rendered every item's HTML again (a revised advisory whose
// packages 200 others share rewrites 24 package feeds of 100 items each).
import type { FeedEntry } from './feed-render.js'

export interface FeedItems {
  entries: FeedEntry[]
  /** Each item's HTML by advisory pk, made when a format first needs it. */
  html: Map<number, string>
}

/** A few feeds' items, most recently used kept; a key names the data generation it was read in. */
export class FeedItemsCache {
  private readonly kept = new Map<string, FeedItems>()

  constructor (private readonly size = 8) {}

  get (key: string, read: () => FeedEntry[]): FeedItems {
    let items = this.kept.get(key)
    if (items !== undefined) this.kept.delete(key)
    else items = { entries: read(), html: new Map() }
    this.kept.set(key, items)
    if (this.kept.size > this.size) this.kept.delete(this.kept.keys().next().value!)
    return items
  }
}
