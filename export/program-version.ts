// What the exported bytes are made by: the running code (server/, db/, domain/, export/, from source or from
// dist/), the templates, public/ and the locked dependencies. Part of the site key (export/inputs.ts): a new
// program renders every document once, since any template or code change may show on any page.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { projectRoot } from '../db/paths.js'

/** export/ or dist/export/: its parent holds the code that renders. */
const codeRoot = dirname(dirname(fileURLToPath(import.meta.url)))

function hashTree (hash: ReturnType<typeof createHash>, root: string, dir: string, keep: (file: string) => boolean): void {
  const base = join(root, dir)
  if (statSync(base, { throwIfNoEntry: false })?.isDirectory() !== true) return
  for (const file of readdirSync(base, { recursive: true }).map(String).sort()) {
    const path = join(base, file)
    if (keep(file) && statSync(path).isFile()) hash.update(`${dir}/${file}\0`).update(readFileSync(path))
  }
}

export function programVersion (): string {
  const hash = createHash('sha256')
  for (const dir of ['server', 'db', 'domain', 'export']) hashTree(hash, codeRoot, dir, (f) => /\.(?:js|ts)$/.test(f))
  for (const dir of ['views', 'public', 'migrations']) hashTree(hash, projectRoot, dir, () => true)
  const lock = join(projectRoot, 'package-lock.json')
  if (statSync(lock, { throwIfNoEntry: false }) !== undefined) hash.update(readFileSync(lock))
  return hash.digest('hex').slice(0, 16)
}
