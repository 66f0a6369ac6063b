// Numbered pages deep in a long list. OFFSET steps over every index entry before the page (0.1 to 0.2 µs each:
// 50 to 150 ms in the middle of a million advisories, the event loop held all the while). So for the plain lists
// (every product or one, by issued date, nothing else filtered) every `step`th position is kept per data
// generation, found a slice at a time off the request path; a page then seeks its nearest anchor and steps over
// fewer than `step` entries (docs/benchmarks.md, "One million advisories").
import type { Statement } from 'better-sqlite3'
import type { Db } from './open.js'

/** An entry of the list order: its sort key (issued date, '' for none), id and product. */
export interface Anchor { key: string, id: string, product: string }

/** A plain list: one product's (or every product's, null) advisories by issued date, in one direction. */
export interface ListShape { product: string | null, dir: 'ASC' | 'DESC' }

/** Where a page starts: at `anchor` (inclusive), `skip` entries further on. */
export interface PageStart { anchor: Anchor, skip: number }

export interface AnchorOptions {
  /** Positions between anchors: the most a page steps over. */
  step: number
  /** Pages before this offset step over their entries as they are (cheap; no anchors are found for them). */
  from: number
  /** Anchors found per slice, between which other requests are served (each costs `step` index entries). */
  perSlice: number
}

/** Runs `read` in one snapshot of the data, with that snapshot's generation. */
export type Snapshot = <T>(read: (generation: number) => T) => T

interface Entry { generation: number, anchors: Anchor[] | null, building: Promise<void> | null }

const defaults: AnchorOptions = { step: 1000, from: 20_000, perSlice: 50 }

export class PageAnchors {
  private readonly entries = new Map<string, Entry>()
  private readonly statements = new Map<string, Statement<unknown[], Anchor>>()
  private readonly pages = new Map<string, Statement<unknown[], number>>()
  private readonly options: AnchorOptions

  constructor (private readonly db: Db, private readonly snapshot: Snapshot, options: Partial<AnchorOptions> = {}) {
    this.options = { ...defaults, ...options }
  }

  /** Whether a page at `offset` of such a list is read from an anchor (else OFFSET alone serves it well). */
  wanted (offset: number): boolean {
    return offset >= this.options.from
  }

  /** The anchor a page at `offset` starts from, when this generation's anchors are known. */
  start (shape: ListShape, generation: number, offset: number): PageStart | null {
    const entry = this.entries.get(shapeKey(shape))
    if (entry?.generation !== generation || entry.anchors === null || !this.wanted(offset)) return null
    const i = Math.floor(offset / this.options.step)
    const anchor = entry.anchors[i]
    return anchor === undefined ? null : { anchor, skip: offset - i * this.options.step }
  }

  /**
   * Settles when this generation's anchors of the list are known (found now if they are not), or null when
   * they already are. A page waiting on it lets other requests be served meanwhile.
   */
  ready (shape: ListShape, generation: number): Promise<void> | null {
    const key = shapeKey(shape)
    const entry = this.entries.get(key)
    if (entry?.generation === generation) return entry.building
    const fresh: Entry = { generation, anchors: null, building: null }
    fresh.building = this.find(shape, fresh).finally(() => { fresh.building = null })
    this.entries.set(key, fresh)
    return fresh.building
  }

  /** The pks of `count` entries from `start` on (the page's own read: a seek to the anchor, at most `step` entries stepped over). */
  pagePks (shape: ListShape, start: PageStart, count: number): number[] {
    return this.pageStatement(shape).all(...productParam(shape), ...anchorParams(start.anchor), count, start.skip)
  }

  private pageStatement (shape: ListShape): Statement<unknown[], number> {
    const sql = `SELECT a.pk FROM advisory a WHERE ${productClause(shape)} AND ${anchorBound(shape, true)}
      ORDER BY ${anchorOrder(shape)} LIMIT ? OFFSET ?`
    let statement = this.pages.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], number>(sql).pluck()
      this.pages.set(sql, statement)
    }
    return statement
  }

  /** Finds every `step`th entry, `perSlice` at a time, each slice in its own snapshot; stops if the data changes. */
  private async find (shape: ListShape, entry: Entry): Promise<void> {
    const found: Anchor[] = []
    for (;;) {
      const outcome = this.snapshot((generation) => {
        if (generation !== entry.generation) return 'stale'
        for (let n = 0; n < this.options.perSlice; n++) {
          const last = found.at(-1)
          const next = last === undefined ? this.first(shape) : this.after(shape, last)
          if (next === undefined) return 'done'
          found.push(next)
        }
        return 'more'
      })
      if (outcome === 'stale') return
      if (outcome === 'done') { entry.anchors = found; return }
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private first (shape: ListShape): Anchor | undefined {
    return this.statement(shape, '').get(...productParam(shape), 0)
  }

  /** The entry `step` positions after `anchor`. */
  private after (shape: ListShape, anchor: Anchor): Anchor | undefined {
    return this.statement(shape, `AND ${anchorBound(shape, false)}`).get(...productParam(shape), ...anchorParams(anchor), this.options.step - 1)
  }

  private statement (shape: ListShape, bound: string): Statement<unknown[], Anchor> {
    const sql = `SELECT ${sortKey} AS key, a.id, a.product_id AS product FROM advisory a
      WHERE ${productClause(shape)} ${bound} ORDER BY ${anchorOrder(shape)} LIMIT 1 OFFSET ?`
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], Anchor>(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }
}

const sortKey = "coalesce(a.issued, '')"

function shapeKey (shape: ListShape): string {
  return `${shape.dir} ${shape.product ?? ''}`
}

function productClause (shape: ListShape): string {
  return shape.product === null ? '1' : 'a.product_id = ?'
}

function productParam (shape: ListShape): string[] {
  return shape.product === null ? [] : [shape.product]
}

/** The list queries' own order for a plain list (db/advisory-query.ts, orderBy): the order indexes of migration 0006. */
function anchorOrder (shape: ListShape): string {
  return `${sortKey} ${shape.dir}, a.id ${shape.dir}, a.product_id ${shape.dir}`
}

/**
 * Entries after the anchor in the list's order (`inclusive`: from the anchor on). The key alone first, so SQLite
 * seeks the order index on it (a row value alone it only filters with).
 */
function anchorBound (shape: ListShape, inclusive: boolean): string {
  const cmp = shape.dir === 'DESC' ? '<' : '>'
  return `${sortKey} ${cmp}= ? AND (${sortKey}, a.id, a.product_id) ${cmp}${inclusive ? '=' : ''} (?, ?, ?)`
}

function anchorParams (anchor: Anchor): string[] {
  return [anchor.key, anchor.key, anchor.id, anchor.product]
}
