// Server configuration: flags win over the environment; bad values are refused with a clear message.
import t from 'tap'
import { readServerConfig } from '../server/config.js'

t.test('defaults, environment and flags', async (t) => {
  const defaults = readServerConfig([], {})
  t.same({ ...defaults, dbPath: undefined }, { dbPath: undefined, host: '127.0.0.1', port: 3000, publicUrl: null, queryRateLimit: 120 })
  const env = readServerConfig([], { DB_PATH: '/x.db', HOST: '::1', PORT: '8080', PUBLIC_URL: 'https://sec.example.org/', QUERY_RATE_LIMIT: '10' })
  t.same(env, { dbPath: '/x.db', host: '::1', port: 8080, publicUrl: 'https://sec.example.org', queryRateLimit: 10 })
  const flags = readServerConfig(['--db', '/y.db', '--port', '0', '--public-url', 'http://h/portal/', '--query-rate-limit', '5'], { DB_PATH: '/x.db', PORT: '8080' })
  t.same(flags, { dbPath: '/y.db', host: '127.0.0.1', port: 0, publicUrl: 'http://h/portal', queryRateLimit: 5 })
})

t.test('bad values name what is wrong', async (t) => {
  t.throws(() => readServerConfig(['--port', '70000'], {}), /port "70000" is not a TCP port number/)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'ftp://h' }), /public URL "ftp:\/\/h" must start with http:\/\/ or https:\/\//)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'not a url' }), /public URL "not a url" is not a URL/)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'https://h/?a=1' }), /must not have a query or fragment/)
  t.throws(() => readServerConfig([], { QUERY_RATE_LIMIT: '0' }), /query rate limit "0" must be a whole number/)
  t.throws(() => readServerConfig(['--bogus'], {}), /Unknown option '--bogus'[\s\S]*Usage: npm run serve/)
})
