// Built once, run as operators run it: the npm scripts start node on dist/ directly (no compile, signals
// reach the server), `kill -TERM` of `npm run serve` leaves nothing listening, the access log writes one
// JSON line per request, and a tree with only the production dependencies (what `npm ci --omit=dev`
// leaves) runs serve, ingest and export, each built as one file (bundle.mjs) with its workers beside it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { dirname, join, relative } from 'node:path'
import { Worker } from 'node:worker_threads'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { waitUntil } from './helpers/cli.js'
import { projectDir, tempDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testDb } from './helpers/test-app.js'

const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { scripts: Record<string, string>, bin: Record<string, string> }

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

const listening = async (port: number): Promise<boolean> => await new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1')
  socket.once('connect', () => { socket.destroy(); resolve(true) })
  socket.once('error', () => { resolve(false) })
})

function exited (child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

// The scripts run what `npm install` built; the test builds it once so dist/ matches the sources.
t.before(() => { execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectDir, stdio: 'inherit' }) })

t.test('every run script is node on dist/ (no compile first), with a bin entry beside it', async (t) => {
  for (const name of ['start', 'serve', 'ingest', 'migrate', 'repos']) {
    // exec: the shell npm starts becomes node, so a signal sent to npm's child reaches the server itself.
    t.equal(pkg.scripts[name], `exec node dist/bin/${name}.js`, `npm run ${name} compiles nothing first`)
    t.equal(pkg.bin[`llsc-${name}`], `dist/bin/${name}.js`, `llsc-${name}`)
    t.match(readFileSync(join(projectDir, 'bin', `${name}.ts`), 'utf8'), /^#!\/usr\/bin\/env node\n/, `bin/${name}.ts starts with a shebang`)
  }
})

t.test('kill -TERM of npm run serve stops the server; the access log has one line per request', async (t) => {
  const { dbPath } = testDb(t)
  await ingestOk(t, dbPath, demoRepos(['amzn2']))
  const port = await freePort()
  const npm = spawn('npm', ['run', 'serve', '--silent', '--', '--db', dbPath, '--port', String(port), '--access-log', 'on', '--log-level', 'info'], { cwd: projectDir, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (npm.exitCode === null) npm.kill('SIGKILL') })
  let out = ''
  npm.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  npm.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await waitUntil(() => out.includes('Server listening'), 20_000)
  const res = await fetch(`http://127.0.0.1:${port}/amzn2?severity=important`)
  t.equal(res.status, 200)
  await waitUntil(() => out.includes('"msg":"request"'), 5_000)
  const line = out.split('\n').find((l) => l.includes('"msg":"request"'))!
  t.match(JSON.parse(line), { level: 30, method: 'GET', url: '/amzn2?severity=important', status: 200, ip: '127.0.0.1' }, 'one JSON access line')
  t.equal(out.split('\n').filter((l) => l.includes('"msg":"request"')).length, 1, 'exactly one line for one request')
  npm.kill('SIGTERM')
  await exited(npm) // npm forwards the signal, waits for the server, then ends itself by the same signal
  t.match(out, /"msg":"Server listening/, 'the server had been listening')
  t.equal(await listening(port), false, 'nothing is left listening on the port')
})

/** What `npm ci --omit=dev` leaves: the built tree, the assets it reads, and the production packages only. */
function productionTree (t: Parameters<typeof tempDir>[0]): string {
  const root = join(tempDir(t), 'llsc')
  mkdirSync(root)
  for (const entry of ['dist', 'views', 'public', 'migrations', 'package.json']) symlinkSync(join(projectDir, entry), join(root, entry))
  mkdirSync(join(root, 'ingest'))
  symlinkSync(join(projectDir, 'ingest', 'demo'), join(root, 'ingest', 'demo'))
  const paths = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: projectDir, encoding: 'utf8' }).trim().split('\n').slice(1)
  for (const path of paths) {
    const target = join(root, relative(projectDir, path))
    mkdirSync(dirname(target), { recursive: true })
    try { symlinkSync(path, target) } catch {} // a package already linked through its parent
  }
  return root
}

t.test('with production dependencies only, serve and ingest run', async (t) => {
  const root = productionTree(t)
  t.throws(() => execFileSync('node', ['-e', "import('typescript')"], { cwd: root, stdio: 'pipe' }), 'no dev dependency (typescript) in the tree')
  const help = execFileSync('node', [join(root, 'dist/bin/ingest.js'), '--help'], { cwd: root, encoding: 'utf8' })
  t.match(help, /Usage/, 'ingest --help')
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  execFileSync('node', [join(root, 'dist/bin/ingest.js'), '--db', dbPath, '--config', join(root, 'ingest/demo/config.json')], { cwd: root, stdio: 'pipe' })
  const port = await freePort()
  const server = spawn('node', [join(root, 'dist/bin/serve.js'), '--db', dbPath, '--port', String(port), '--log-level', 'warn'], { cwd: root, stdio: 'ignore' })
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  let ok = false
  for (let i = 0; i < 100 && !ok; i++) {
    ok = await listening(port)
    if (!ok) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/products`)
  t.equal(res.status, 200, 'the built server answers')
  const demoProducts = new Set(demoRepos().map((r) => r.productId))
  t.equal(((await res.json()) as { products: unknown[] }).products.length, demoProducts.size, 'with every demo product the built worker ingested')
  // The bundled build keeps the names the direct replay recognises its hooks by (server/http/direct-replay.ts).
  for (let i = 0; i < 2; i++) t.equal((await fetch(`http://127.0.0.1:${port}/api/v1/products`)).status, 200)
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  t.match(metrics, /^llsc_http_direct_answers_total 2$/m, 'the repeated GETs answered before Fastify routed them')
  server.kill('SIGTERM')
  t.equal(await exited(server), 0)
})

t.test('each program is built as one file, and the workers they start are bundled beside them', async (t) => {
  // npm run build bundles bin/*.ts (bundle.mjs): a program that imports dist/'s other files again would load
  // its ~1,000 modules one by one (0.3 s more before its first line runs).
  for (const name of ['start', 'serve', 'ingest', 'migrate', 'repos', 'export']) {
    const code = readFileSync(join(projectDir, 'dist/bin', `${name}.js`), 'utf8')
    t.notMatch(code, /\bfrom\s*["']\.{1,2}\//, `dist/bin/${name}.js imports none of dist/'s files`)
    t.match(code.split('\n', 1)[0], /^#!\/usr\/bin\/env node/, `dist/bin/${name}.js starts with its #! line`)
  }
  // The OSV bundle's worker, as the bundled export starts it (new URL('./bundle-worker.js', its own URL)), in
  // a production tree: one kept line and one made again, joined, with the .gz made from parts.
  const root = productionTree(t)
  const dir = tempDir(t)
  const previous = join(dir, 'all.ndjson')
  const kept = '{"schema_version":"1.6.0","id":"LLSC-1","summary":"kept"}\n'
  writeFileSync(previous, kept)
  const fresh = '{"schema_version":"1.6.0","id":"LLSC-2"}\n'
  const target = join(dir, 'new.ndjson')
  const job = { previous: { path: previous, size: Buffer.byteLength(kept), sha256: null }, order: ['LLSC-1', 0], fresh: [Buffer.from(fresh)], target, largeDocument: 1, previousGzip: null }
  const worker = new Worker(join(root, 'dist/bin/bundle-worker.js'), { workerData: job })
  const result = await new Promise<{ kind: string, gzip: { bytes: Uint8Array } | null }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  await worker.terminate()
  t.equal(result.kind, 'made')
  t.equal(readFileSync(target, 'utf8'), kept + fresh, 'the kept line, then the one made again')
  t.equal(gunzipSync(result.gzip!.bytes).toString(), kept + fresh, 'its .gz holds the same bytes')
  t.ok(existsSync(join(root, 'dist/bin/read-worker.js')), "the ingest's reading worker is beside ingest.js")

  // The bundled export, with production dependencies only.
  const dbPath = join(dir, 'db.sqlite')
  execFileSync('node', [join(root, 'dist/bin/ingest.js'), '--db', dbPath, '--config', join(root, 'ingest/demo/config.json')], { cwd: root, stdio: 'pipe' })
  const out = join(dir, 'site')
  const summary = JSON.parse(execFileSync('node', [join(root, 'dist/bin/export.js'), '--db', dbPath, '--out', out, '--public-url', 'https://security.example.org', '--json'], { cwd: root, encoding: 'utf8' })) as { written: number, skipped: unknown[] }
  t.ok(summary.written > 1000, `the export wrote the demo site (${summary.written} files)`)
  t.same(summary.skipped, [], 'and skipped no document')
  t.ok(existsSync(join(out, 'index.html')) && existsSync(join(out, 'openapi.json')), 'its home page and openapi.json')
})

t.test('migrate says how it is used, and names an unknown option', async (t) => {
  const help = execFileSync('node', [join(projectDir, 'dist/bin/migrate.js'), '--help'], { encoding: 'utf8' })
  t.match(help, /^Usage: npm run migrate -- \[--db PATH\]/)
  const wrong = spawnSync('node', [join(projectDir, 'dist/bin/migrate.js'), '--dbb', 'x'], { encoding: 'utf8' })
  t.equal(wrong.status, 2, 'exit status 2, as the other programs give a usage error')
  t.match(wrong.stderr, /^migrate: Unknown option '--dbb'/)
  t.notMatch(wrong.stderr, /at parseArgs/, 'no stack trace')
})
