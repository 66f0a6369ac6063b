// The house's layout rules, checked on the source as it is: the worker and the server stand side by side
// over db/ and domain/, SQL lives only in db/ and migrations/, route handlers never cast request parts
// (the TypeBox schemas type them), and no function outside the tests runs past 80 lines. domain/ is at the
// bottom: db/ may use it, it uses nothing.
import { ESLint } from 'eslint'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { projectDir } from './helpers/paths.js'

const folders = ['bin', 'db', 'domain', 'export', 'ingest', 'server']

function sources (folder: string): string[] {
  return readdirSync(join(projectDir, folder), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(folder, f)).sort()
}

const files = new Map(folders.flatMap(sources).map((f) => [f, readFileSync(join(projectDir, f), 'utf8')]))

/** The project folders a file imports from (relative imports resolved against its own folder). */
function importedFolders (file: string, text: string): Set<string> {
  const found = new Set<string>()
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = relative(projectDir, join(projectDir, file, '..', m[1]!))
    found.add(target.split('/')[0]!)
  }
  return found
}

const mayImport: Record<string, string[]> = {
  bin: ['bin', 'db', 'domain', 'export', 'ingest', 'server'],
  // The static export renders through the server's app; it never runs the worker.
  export: ['export', 'server', 'db', 'domain'],
  server: ['server', 'db', 'domain', 'views', 'public'],
  ingest: ['ingest', 'db', 'domain'],
  db: ['db', 'domain'],
  domain: ['domain']
}

t.test('imports follow the layering: server and ingest side by side, db and domain below both', async (t) => {
  t.ok(files.size > 50, `${files.size} source files read`)
  const wrong: string[] = []
  for (const [file, text] of files) {
    const folder = file.split('/')[0]!
    for (const target of importedFolders(file, text)) if (!mayImport[folder]!.includes(target)) wrong.push(`${file} imports from ${target}/`)
  }
  t.same(wrong, [], 'no import crosses the layers')
  // The check itself sees a crossing when there is one.
  t.same([...importedFolders('server/x.ts', "import { runIngest } from '../ingest/run.js'")], ['ingest'])
})

const sql = /\b(?:SELECT\s+[\w*]|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|PRAGMA\s+\w)/i

t.test('SQL text only in db/ (and migrations/)', async (t) => {
  const outside = [...files].filter(([file, text]) => !file.startsWith('db/') && sql.test(text)).map(([file]) => file)
  t.same(outside, [], 'no SQL outside db/')
  t.ok(sql.test(files.get('db/advisory-query.ts')!), 'the pattern finds the SQL in db/advisory-query.ts')
})

t.test('no hand casts of request parts: the type provider types them', async (t) => {
  const cast = /\b(?:request|req)\.(?:query|params|body)\)?\s+as\b/
  const casts = [...files].filter(([, text]) => cast.test(text)).map(([file]) => file)
  t.same(casts, [], 'no `request.query as ...` and the like')
  t.ok(cast.test('const q = (request.query as { a: string })'), 'the pattern finds a cast')
})

t.test('every route declares a schema', async (t) => {
  const routes: string[] = []
  const bare: string[] = []
  for (const [file, text] of files) {
    if (!file.startsWith('server/')) continue
    // From the route's path to its handler: the options in between must carry a schema.
    for (const m of text.matchAll(/app\.(get|post|put|delete|patch)\('([^']+)',([^]*?)async \(/g)) {
      routes.push(`${m[1]!.toUpperCase()} ${m[2]!}`)
      if (!/\bschema\b|Schema\b/.test(m[3]!)) bare.push(`${m[1]!.toUpperCase()} ${m[2]!} in ${file}`)
    }
  }
  t.ok(routes.length >= 20, `${routes.length} routes found`)
  t.same(bare, [], 'every route has a schema')
})

t.test('no function over 80 lines outside the tests', async (t) => {
  const eslint = new ESLint({ cwd: projectDir, overrideConfigFile: true, overrideConfig: { rules: { 'max-lines-per-function': ['error', { max: 80 }] } } })
  const results = await eslint.lintText([...files.keys()].length > 0 ? 'function short () { return 1 }\n' : '', { filePath: join(projectDir, 'x.js') })
  t.equal(results[0]!.errorCount, 0, 'a short function passes')
  const long = `function long () {\n${'  void 0\n'.repeat(85)}}\n`
  t.equal((await eslint.lintText(long, { filePath: join(projectDir, 'x.js') }))[0]!.errorCount, 1, 'an 87-line function is found')
  const project = new ESLint({ cwd: projectDir })
  const found = (await project.lintFiles([...files.keys()])).flatMap((r) => r.messages.filter((m) => m.ruleId === 'max-lines-per-function').map((m) => `${relative(projectDir, r.filePath)}:${m.line} ${m.message}`))
  t.same(found, [], 'every function in bin/, db/, domain/, export/, ingest/ and server/ is 80 lines or fewer')
})
