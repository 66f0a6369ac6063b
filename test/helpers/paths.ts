// Paths and temporary places for tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const testDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const fixturesDir = join(testDir, 'fixtures')
export const projectDir = join(testDir, '..')

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

/** A fresh directory removed when the test ends. */
export function tempDir (t: Teardown, prefix = 'llsc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
