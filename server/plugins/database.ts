// The database plugin: opens the database read-only, checks its schema and decorates the instance with the
// stores the routes read (`app.lists`, `app.advisories`, `app.summary`, `app.siteIndex`, `app.stats`), the read snapshots (`app.data`) and
// the per-product matchers of installed packages (`app.matchers`). The raw connection stays inside.
import fp from 'fastify-plugin'
import { existsSync } from 'node:fs'
import { AdvisoryQuery } from '../../db/advisory-query.js'
import { AdvisoryReader } from '../../db/advisory-read.js'
import { assertSchemaCurrent, schemaVersion } from '../../db/migrate.js'
import { openDatabase, type Db } from '../../db/open.js'
import { PageAnchors } from '../../db/page-anchors.js'
import { SiteIndex } from '../../db/site-index.js'
import { StatsStore } from '../../db/stats-store.js'
import { SummaryStore, type DataStamp, type Vocabulary } from '../../db/summary-store.js'
import { DataVersion } from '../http/data-version.js'
import { MatcherIndex } from '../matching/matcher-index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Filtered, sorted, paged advisory lists. */
    lists: AdvisoryQuery
    /** One advisory with everything it shows. */
    advisories: AdvisoryReader
    /** Products, repos, the vocabulary and the data's version stamps. */
    summary: SummaryStore
    /** Every advisory in one pass (the sitemap and the static export). */
    siteIndex: SiteIndex
    /** Counts by product, month, day and severity (the statistics page, the home page's recent activity). */
    stats: StatsStore
    data: DataSnapshots
    /** Per product, the fixed packages the query and the "Check a server" page match installed packages with. */
    matchers: MatcherIndex
  }
}

export interface DatabaseOptions { dbPath: string }

/**
 * Consistent reads while an ingest commits through its own connection: every render reads inside one read
 * transaction, with the data's stamp read in it, so the body and its ETag come from the same snapshot.
 */
export class DataSnapshots {
  private readonly version: DataVersion
  /** The stamp of the snapshot being read, while one is. */
  private active: DataStamp | null = null
  private vocabularyCache: { generation: number, value: Vocabulary } | null = null
  private readonly readTransaction: <T>(read: () => T) => T

  constructor (private readonly db: Db, dbPath: string, private readonly summary: SummaryStore) {
    this.version = new DataVersion(dbPath, summary)
    // BEGIN takes the snapshot at the first read inside it; COMMIT (or ROLLBACK on a throw) ends it.
    this.readTransaction = <T>(read: () => T): T => db.transaction(read)()
  }

  /** The data's version stamps: those of the snapshot being read, else read again only after an ingest wrote. */
  stamp (): DataStamp {
    return this.active ?? this.version.current()
  }

  /**
   * Runs `read` inside one read transaction, with the stamp read in it. Afterwards the next request looks at
   * the database files again (data-version.ts): another connection may have committed meanwhile.
   */
  read<T> (read: (stamp: DataStamp) => T): T {
    if (this.active !== null) return read(this.active)
    try {
      return this.readTransaction(() => {
        this.active = this.summary.stamp()
        try { return read(this.active) } finally { this.active = null }
      })
    } finally {
      this.version.recheck()
    }
  }

  /** Products, severities and types present in the data, read again only when the data changed. */
  vocabulary (): Vocabulary {
    const generation = this.stamp().generation
    if (this.vocabularyCache?.generation !== generation) {
      const value = this.read((stamp) => ({ generation: stamp.generation, value: this.summary.vocabulary() }))
      if (value.generation !== generation) return value.value
      this.vocabularyCache = value
    }
    return this.vocabularyCache.value
  }

  /** The schema version the database is at (for /readyz). */
  schemaVersion (): number {
    return schemaVersion(this.db)
  }
}

export default fp<DatabaseOptions>(async (app, { dbPath }) => {
  // The server only reads: ingests write through their own connection, WAL lets both run at once.
  if (!existsSync(dbPath)) throw new Error(`database ${dbPath} does not exist: run "npm start" or "npm run ingest" first`)
  const db = openDatabase(dbPath, { readonly: true })
  try {
    assertSchemaCurrent(db)
  } catch (err) {
    db.close()
    throw err
  }
  app.addHook('onClose', () => { db.close() })
  const summary = new SummaryStore(db)
  const data = new DataSnapshots(db, dbPath, summary)
  const anchors = new PageAnchors(db, (read) => data.read((stamp) => read(stamp.generation)))
  const lists = new AdvisoryQuery(db, {}, { anchors, generation: () => data.stamp().generation })
  app.decorate('lists', lists)
  app.decorate('advisories', new AdvisoryReader(db))
  app.decorate('summary', summary)
  app.decorate('siteIndex', new SiteIndex(db))
  app.decorate('stats', new StatsStore(db))
  app.decorate('data', data)
  app.decorate('matchers', new MatcherIndex(lists, summary, (read) => data.read(read)))
}, { name: 'database' })
