#!/usr/bin/env node
// `npm run migrate -- [--db PATH]`: brings the database schema up to date and says what it did.
import { parseArgs } from 'node:util'
import { migrate } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { defaultDbPath } from '../db/paths.js'

const usage = `Usage: npm run migrate -- [--db PATH]

Brings the database's schema up to date (migrations/), and says from which version to which.
  --db PATH   the database (default: $DB_PATH, else ${defaultDbPath})
`

function options (): { db?: string, help?: boolean } | null {
  try {
    return parseArgs({ options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    process.stderr.write(`migrate: ${(err as Error).message}\n${usage}`)
    process.exitCode = 2
    return null
  }
}

const values = options()
if (values?.help === true) process.stdout.write(usage)
else if (values !== null) {
  const path = values.db ?? process.env.DB_PATH ?? defaultDbPath
  try {
    const db = openDatabase(path)
    const { from, to } = migrate(db)
    db.close()
    process.stdout.write(from === to ? `${path}: schema is current (version ${to})\n` : `${path}: migrated schema from version ${from} to ${to}\n`)
  } catch (err) {
    process.stderr.write(`migrate: ${path}: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
