// `npm run serve -- [--db PATH] [--host H] [--port N]`: serves an existing database.
import { readServerConfig } from './config.js'
import { serve } from './serve.js'

try {
  await serve(readServerConfig(process.argv.slice(2)))
} catch (err) {
  process.stderr.write(`serve: ${(err as Error).message}\n`)
  process.exitCode = 1
}
