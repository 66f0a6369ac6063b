// Applies numbered SQL files from migrations/, each with its PRAGMA user_version in one transaction.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sourceName } from '../domain/source-name.js'
import type { Db } from './open.js'
import { migrationsDir } from './paths.js'

export interface Migration { version: number, name: string, sql: string }

export function loadMigrations (dir = migrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 4)), name: file, sql: readFileSync(join(dir, file), 'utf8') }))
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: expected number ${String(i + 1).padStart(4, '0')}`)
  })
  return migrations
}

export function schemaVersion (db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

export function latestVersion (migrations = loadMigrations()): number {
  return migrations.length
}

/** Brings the schema up to date; refuses a database newer than this program knows. */
export function migrate (db: Db, migrations = loadMigrations()): { from: number, to: number } {
  const from = schemaVersion(db)
  const latest = latestVersion(migrations)
  if (from > latest) {
    throw new Error(`database schema version ${from} is newer than this program knows (${latest}); upgrade the program`)
  }
  // SQL functions that migrations may call to backfill derived columns in rows older versions wrote.
  db.function('rpm_source_name', { deterministic: true }, (src: unknown) => sourceName(typeof src === 'string' ? src : null))
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(m.sql)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
  }
  return { from, to: latest }
}

/** For read-only users (the server): the schema must be exactly current. */
export function assertSchemaCurrent (db: Db, migrations = loadMigrations()): void {
  const current = schemaVersion(db)
  const latest = latestVersion(migrations)
  if (current > latest) throw new Error(`database schema version ${current} is newer than this program knows (${latest}); upgrade the program`)
  if (current < latest) throw new Error(`database schema version ${current} is older than ${latest}; run "npm run ingest" or "npm run migrate" to migrate it`)
}
