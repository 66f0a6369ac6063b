// A feed's entries, kept for its other formats, and each advisory's item HTML, kept for every feed it is in.
// The RSS, Atom and JSON Feed of one feed list the same advisories, and the static export renders them one after
// another: without this each format read its items, their packages and descriptions, and rendered every item's
// HTML again. An advisory's item is the same in the global, product, severity and package feeds that list it:
// a revised advisory whose packages a hundred others share rewrites 24 package feeds of 100 items each, most of
// them the same advisories (the httpd-* packages: 800 item renders before, about 100 now).
import type { FeedEntry } from './feed-render.js'

/** Most recently used kept; a key names the data generation (and base URL) it was read in. */
class Kept<T> {
  private readonly kept = new Map<string, T>()

  constructor (private readonly size: number) {}

  get (key: string, make: () => T): T {
    let value = this.kept.get(key)
    if (value !== undefined) this.kept.delete(key)
    else value = make()
    this.kept.set(key, value)
    if (this.kept.size > this.size) this.kept.delete(this.kept.keys().next().value!)
    return value
  }
}

export class FeedItemsCache {
  private readonly entries: Kept<FeedEntry[]>
  private readonly html: Kept<string>

  /** `feeds`: feeds whose entries are kept; `items`: item HTMLs (a few KB each). */
  constructor (sizes: { feeds: number, items: number } = { feeds: 8, items: 1000 }) {
    this.entries = new Kept(sizes.feeds)
    this.html = new Kept(sizes.items)
  }

  /** A feed's entries; `key` names the feed, its filter and the data generation. */
  feed (key: string, read: () => FeedEntry[]): FeedEntry[] {
    return this.entries.get(key, read)
  }

  /** An advisory's item HTML; `key` names the advisory, the base URL and the data generation. */
  itemHtml (key: string, render: () => string): string {
    return this.html.get(key, render)
  }
}
