#!/usr/bin/env node
// `npm run serve -- [--db PATH] [--host H] [--port N] ...`: serves an existing database (settings: server/config.ts, README "Deploying").
import { readServerConfig } from '../server/config.js'
import { listen } from '../server/listen.js'

try {
  await listen(readServerConfig(process.argv.slice(2)))
} catch (err) {
  process.stderr.write(`serve: ${(err as Error).message}\n`)
  process.exitCode = 1
}
