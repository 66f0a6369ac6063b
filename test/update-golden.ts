// Rewrites test/fixtures/updateinfo-golden/ from the reader's output (`npm run golden`). Review the
// diff against ../shared/docs/updateinfo-format.md before committing: a golden file can encode a bug.
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { goldenDir, goldenPath, readFixture, renderGolden, updateinfoFixtures } from './helpers/golden.js'

const fixtures = updateinfoFixtures()
const wanted = new Set(fixtures.map(goldenPath))
for (const name of readdirSync(goldenDir)) {
  const path = join(goldenDir, name)
  if (!wanted.has(path)) rmSync(path) // the fixture is gone
}
for (const fixture of fixtures) {
  const records = await readFixture(fixture)
  writeFileSync(goldenPath(fixture), renderGolden(records))
  process.stdout.write(`${goldenPath(fixture)}: ${records.length} records\n`)
}
