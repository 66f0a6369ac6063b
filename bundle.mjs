// The second half of `npm run build`: each program in bin/ made into one file, over tsc's dist/bin/*.js.
// Why: Node 20 resolves, reads and links an ES module graph file by file, and the export's graph is 1,037
// files (typebox alone 373): 0.56 s before the first line runs, 0.28 s as one file (docs/benchmarks.md,
// "Sixth session"). tsc still writes the rest of dist/ (the tests, the program version and the workers
// started from unbundled code use it); the bundles are made from the TypeScript sources, so tsc checks them.
//
// Worker threads are started by file name beside their caller (domain/worker-thread.ts), so each worker a
// program starts is bundled beside the programs, in dist/bin/ too.
import { build } from 'esbuild'

const programs = ['export', 'ingest', 'migrate', 'repos', 'serve', 'start']
const workers = { 'bundle-worker': 'export/bundle-worker.ts', 'read-worker': 'ingest/read-worker.ts' }

await build({
  entryPoints: [
    ...programs.map((name) => ({ in: `bin/${name}.ts`, out: name })),
    ...Object.entries(workers).map(([name, source]) => ({ in: source, out: name }))
  ],
  outdir: 'dist/bin',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // A native addon, found by its package at run time.
  external: ['better-sqlite3'],
  // Some CommonJS packages call require() on Node's own modules, which an ES module does not have.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  // Smaller files parse faster; names are kept for stack traces (`node --enable-source-maps` maps them to
  // the TypeScript).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning'
})
