import neostandard from 'neostandard'

// The house's layering: the worker and the server stand side by side over db/ and domain/ (bin/ wires
// them together; export/ renders through the server); a function that needs more than 80 lines wants splitting into named steps.
const sourceFiles = ['server/**/*.ts', 'ingest/**/*.ts', 'export/**/*.ts', 'db/**/*.ts', 'domain/**/*.ts', 'bin/**/*.ts']
const forbid = (group, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] })

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**'] }),
  { files: sourceFiles, rules: { 'max-lines-per-function': ['error', { max: 80 }] } },
  { files: ['server/**/*.ts'], rules: forbid(['**/ingest/**', '**/bin/**'], 'the server does not import the ingest worker: share through db/ or domain/') },
  { files: ['ingest/**/*.ts'], rules: forbid(['**/server/**', '**/bin/**'], 'the ingest worker does not import the server: share through db/ or domain/') },
  { files: ['export/**/*.ts'], rules: forbid(['**/ingest/**', '**/bin/**'], 'the static export renders through the server\'s app and does not import the ingest worker: share through db/ or domain/') },
  { files: ['db/**/*.ts'], rules: forbid(['**/server/**', '**/ingest/**', '**/bin/**'], 'db/ holds SQL only: it imports neither the worker nor the server') },
  { files: ['domain/**/*.ts'], rules: forbid(['**/server/**', '**/ingest/**', '**/db/**', '**/bin/**'], 'domain/ is pure rules: it imports nothing of the project outside itself') }
]
