// Server configuration: flags win over the environment; bad values are refused with a clear message.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readServerConfig, serverSettings } from '../server/config.js'
import { projectDir } from './helpers/paths.js'

t.test('defaults, environment and flags', async (t) => {
  const defaults = readServerConfig([], {})
  t.same({ ...defaults, dbPath: undefined }, { dbPath: undefined, host: '127.0.0.1', port: 3000, publicUrl: null, dynamicUrl: null, queryRateLimit: 120, trustProxy: false, logLevel: 'info', accessLog: false })
  const env = readServerConfig([], { DB_PATH: '/x.db', HOST: '::1', PORT: '8080', PUBLIC_URL: 'https://sec.example.org/', QUERY_RATE_LIMIT: '10' })
  t.same(env, { dbPath: '/x.db', host: '::1', port: 8080, publicUrl: 'https://sec.example.org', dynamicUrl: null, queryRateLimit: 10, trustProxy: false, logLevel: 'info', accessLog: false })
  const flags = readServerConfig(['--db', '/y.db', '--port', '0', '--public-url', 'http://h/portal/', '--query-rate-limit', '5'], { DB_PATH: '/x.db', PORT: '8080' })
  t.same(readServerConfig([], { DYNAMIC_URL: 'https://live.example.org/' }).dynamicUrl, 'https://live.example.org', 'DYNAMIC_URL: an origin')
  t.same(readServerConfig(['--dynamic-url', 'http://127.0.0.1:8080'], { DYNAMIC_URL: 'https://live.example.org' }).dynamicUrl, 'http://127.0.0.1:8080', 'the flag wins')
  t.same(flags, { dbPath: '/y.db', host: '127.0.0.1', port: 0, publicUrl: 'http://h/portal', dynamicUrl: null, queryRateLimit: 5, trustProxy: false, logLevel: 'info', accessLog: false })
})

t.test('bad values name what is wrong', async (t) => {
  t.throws(() => readServerConfig(['--port', '70000'], {}), /port "70000" is not a TCP port number/)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'ftp://h' }), /public URL "ftp:\/\/h" must start with http:\/\/ or https:\/\//)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'not a url' }), /public URL "not a url" is not a URL/)
  t.throws(() => readServerConfig([], { PUBLIC_URL: 'https://h/?a=1' }), /must not have a query or fragment/)
  t.throws(() => readServerConfig([], { QUERY_RATE_LIMIT: '0' }), /query rate limit "0" must be a whole number/)
  t.throws(() => readServerConfig([], { DYNAMIC_URL: 'live.example.org' }), { message: 'dynamic URL "live.example.org" is not a URL (for example https://security.example.org)' })
  t.throws(() => readServerConfig(['--dynamic-url', 'https://live.example.org/portal'], {}), { message: 'dynamic URL "https://live.example.org/portal" has a path; give the origin the live server answers at (its pages link from the root: /check, /cve/...)' })
  t.throws(() => readServerConfig(['--bogus'], {}), /Unknown option '--bogus'[\s\S]*Usage: npm run serve/)
})

t.test('proxy, log level and access log: flag or environment, the flag winning', async (t) => {
  const pick = (argv: string[], env: NodeJS.ProcessEnv) => { const c = readServerConfig(argv, env); return { trustProxy: c.trustProxy, logLevel: c.logLevel, accessLog: c.accessLog } }
  t.same(pick([], { TRUST_PROXY: 'true', LOG_LEVEL: 'WARN', ACCESS_LOG: 'on' }), { trustProxy: true, logLevel: 'warn', accessLog: true })
  t.same(pick(['--trust-proxy', '2', '--log-level', 'error', '--access-log', 'off'], { TRUST_PROXY: 'true', ACCESS_LOG: 'on' }), { trustProxy: 2, logLevel: 'error', accessLog: false })
  t.same(pick([], { TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, ::1, loopback' }), { trustProxy: ['127.0.0.1', '10.0.0.0/8', '::1', 'loopback'], logLevel: 'info', accessLog: false })
  t.same(pick([], { TRUST_PROXY: 'false' }).trustProxy, false)
  t.throws(() => readServerConfig([], { TRUST_PROXY: '10.0.0.0/33' }), { message: 'trust proxy: "10.0.0.0/33" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal (or use true, false or a hop count)' })
  t.throws(() => readServerConfig([], { TRUST_PROXY: 'proxy.example.org' }), { message: 'trust proxy: "proxy.example.org" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal (or use true, false or a hop count)' })
  t.throws(() => readServerConfig(['--log-level', 'loud'], {}), { message: 'log level "loud" is not one of fatal, error, warn, info, debug, trace, silent' })
  t.throws(() => readServerConfig([], { ACCESS_LOG: 'maybe' }), { message: 'access log "maybe" must be on or off' })
})

t.test('the README\'s settings table lists every setting, as the code reads it', async (t) => {
  const readme = readFileSync(join(projectDir, 'README.md'), 'utf8')
  const rows = readme.split('\n').filter((l) => /^\| `--[\w-]+` \| `[A-Z_]+` \|/.test(l))
  t.equal(rows.length, serverSettings.length, 'one row per setting')
  for (const s of serverSettings) t.ok(rows.some((r) => r.startsWith(`| \`--${s.flag}\` | \`${s.env}\` |`)), `--${s.flag} / ${s.env}`)
})
