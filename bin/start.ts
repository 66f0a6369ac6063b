#!/usr/bin/env node
// `npm start`: migrate, ingest the bundled demo repositories when the database is empty, then serve.
import { join } from 'node:path'
import { migrate } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { projectRoot } from '../db/paths.js'
import { SummaryStore } from '../db/summary-store.js'
import { loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readServerConfig } from '../server/config.js'
import { listen } from '../server/listen.js'

const demoConfigPath = join(projectRoot, 'ingest', 'demo', 'config.json')

try {
  const config = readServerConfig(process.argv.slice(2))
  const db = openDatabase(config.dbPath)
  migrate(db)
  const empty = new SummaryStore(db).advisoryCount() === 0
  db.close()
  if (empty) {
    process.stdout.write(`${config.dbPath} is empty: ingesting the bundled demo repositories\n`)
    const summary = await runIngest({ dbPath: config.dbPath, repos: loadJsonConfig(demoConfigPath) })
    for (const r of summary.repos) process.stdout.write(`  ${r.product} ${r.status} ${r.added} added ${r.error ?? ''}\n`)
  }
  await listen(config)
} catch (err) {
  process.stderr.write(`start: ${(err as Error).message}\n`)
  process.exitCode = 1
}
