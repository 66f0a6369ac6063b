// The portal as the benchmark measures it: started the way `npm run serve` starts it (server/config.ts read
// from flags and the environment, server/listen.ts: the JSON log on stdout, the access log as ACCESS_LOG
// says, off by default), on a free loopback port. One setting differs from the defaults: the query rate limit
// (120 a minute per client address) is raised, or a load generator would measure 429s.
// Usage: node --import tsx test/bench/bench-server.ts DB [PORT]; prints `listening PORT` once it listens.
import { readServerConfig } from '../../server/config.js'
import { listen } from '../../server/listen.js'
import { freePort } from '../helpers/nginx.js'

const [dbPath, portText] = process.argv.slice(2)
if (dbPath === undefined) throw new Error('usage: bench-server.ts DB [PORT]')
const port = portText ?? String(await freePort())
await listen(readServerConfig(['--db', dbPath, '--host', '127.0.0.1', '--port', port, '--query-rate-limit', '9999999']))
process.stdout.write(`listening ${port}\n`)
