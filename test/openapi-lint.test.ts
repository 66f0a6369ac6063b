// /openapi.json as a client generator gets it: Redocly's recommended rules pass with no errors, every operation
// has a unique camelCase operationId and a described tag, and nothing but the API is described.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

interface Problem { ruleId: string, severity: string, message: string, location: Array<{ pointer: string }> }
interface Lint { status: number | null, totals: { errors: number, warnings: number }, problems: Problem[] }

// Warnings accepted on purpose: the project has chosen no license yet, and /healthz and /readyz answer no 4xx
// (they take no input), so documenting one would be false. Any other warning fails the test.
const acceptedWarnings = new Set([
  'info-license #/info',
  'operation-4xx-response #/paths/~1healthz/get/responses',
  'operation-4xx-response #/paths/~1readyz/get/responses'
])

const { dir, dbPath } = testDb(t)
await ingestOk(t, dbPath, demoRepos(['amzn2']))
const app = await testApp(t, { dbPath })
const res = await app.inject('/openapi.json')
t.equal(res.statusCode, 200)
const doc = res.json() as {
  servers?: Array<{ url: string }>
  tags: Array<{ name: string, description?: string }>
  paths: Record<string, Record<string, { operationId?: string, summary?: string, tags?: string[] }>>
}

/** Runs the installed Redocly CLI on a description; telemetry and update checks off, so it opens no connection. */
function lint (name: string, description: unknown): Lint {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(description, null, 2))
  const run = spawnSync(process.execPath, [join(projectDir, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', '--extends=recommended', '--format=json', file], {
    cwd: dir, // no redocly.yaml here: the recommended rules exactly
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', DO_NOT_TRACK: '1' },
    timeout: 60_000
  })
  const out = JSON.parse(run.stdout) as Omit<Lint, 'status'>
  return { status: run.status, ...out }
}

const where = (p: Problem): string => `${p.ruleId} ${p.location[0]?.pointer ?? ''}`

t.test('Redocly recommended: no errors, only the accepted warnings', async (t) => {
  const result = lint('openapi.json', doc)
  for (const p of result.problems) t.comment(`${p.severity} ${where(p)}: ${p.message}`)
  t.equal(result.status, 0, 'redocly lint exits 0')
  t.equal(result.totals.errors, 0, 'no errors')
  t.strictSame(result.problems.filter((p) => p.severity === 'error').map(where), [], 'no error problems')
  t.strictSame(result.problems.filter((p) => !acceptedWarnings.has(where(p))).map(where), [], 'no warning beyond the accepted ones')
})

t.test('the lint is not vacuous: a description without servers and operationIds fails it', async (t) => {
  const broken = structuredClone(doc)
  delete broken.servers
  delete broken.paths['/api/v1/products']!.get!.operationId
  const result = lint('broken.json', broken)
  t.not(result.status, 0, 'redocly lint exits non-zero')
  t.ok(result.problems.some((p) => p.ruleId === 'no-empty-servers' && p.severity === 'error'), 'missing servers is an error')
  t.ok(result.problems.some((p) => where(p).startsWith('operation-operationId #/paths/~1api~1v1~1products/get')), 'a missing operationId is reported')
})

t.test('operations: the API only, each with a stable camelCase operationId, a summary and a described tag', async (t) => {
  const ids = Object.fromEntries(Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId])))
  t.strictSame(ids, {
    'GET /healthz': 'health',
    'GET /readyz': 'ready',
    'GET /api/v1/advisories': 'listAdvisories',
    'GET /api/v1/advisories/{id}': 'getAdvisory',
    'GET /api/v1/advisories/{id}/osv': 'getAdvisoryOsv',
    'GET /api/v1/cves/{cve}': 'getCve',
    'GET /api/v1/packages/{name}': 'getPackage',
    'GET /api/v1/products': 'listProducts',
    'GET /api/v1/stats': 'getStats',
    'GET /api/v1/stats.csv': 'getStatsCsv',
    'POST /api/v1/query': 'queryInstalledPackages',
    'GET /api/v1/osv/all.ndjson': 'exportOsv',
    'GET /api/v1/products/{product}/advisories/{id}.json': 'getProductAdvisory',
    'GET /api/v1/products/{product}/advisories/{id}.osv.json': 'getProductAdvisoryOsv',
    'GET /api/v1/products/{product}/advisories/page/{n}.json': 'listProductAdvisoryPages',
    'GET /api/v1/osv/{product}/all.ndjson': 'exportProductOsv'
  })
  t.strictSame(doc.servers, [{ url: '/', description: 'This portal' }])
  t.strictSame(doc.tags.map((tag) => tag.name), ['advisories', 'cves', 'packages', 'products', 'query', 'stats', 'osv', 'health'])
  for (const tag of doc.tags) t.ok((tag.description ?? '').length > 0, `tag ${tag.name} has a description`)
  const described = new Set(doc.tags.map((tag) => tag.name))
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      t.ok((op.summary ?? '').length > 0, `${method} ${path} has a summary`)
      t.ok((op.tags ?? []).length > 0 && (op.tags ?? []).every((tag) => described.has(tag)), `${method} ${path} has described tags only`)
    }
  }
})
