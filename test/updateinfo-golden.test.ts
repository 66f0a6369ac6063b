// The pure reader (ingest/read-updateinfo.ts) against golden files: for each fixture in
// test/fixtures/updateinfo/, test/fixtures/updateinfo-golden/<fixture>.json holds every record it yields.
// After an intended change of the reader's output, regenerate them with `npm run golden` and review
// the diff against ../shared/docs/updateinfo-format.md before committing.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { goldenDir, goldenPath, readFixture, renderGolden, updateinfoFixtures } from './helpers/golden.js'

const fixtures = updateinfoFixtures()

t.test('one golden file per fixture, and none left over', async (t) => {
  t.ok(fixtures.length > 0)
  t.strictSame(readdirSync(goldenDir).sort(), fixtures.map((f) => `${f}.json`).sort())
})

for (const fixture of fixtures) {
  t.test(fixture, async (t) => {
    const path = goldenPath(fixture)
    if (!existsSync(path)) {
      t.fail(`no golden file ${path}: run npm run golden`)
      return
    }
    const golden = readFileSync(path, 'utf8')
    const records = await readFixture(fixture)
    t.strictSame(records, JSON.parse(golden), 'the reader yields the golden records')
    t.equal(renderGolden(records), golden, 'byte for byte, as npm run golden writes it')
    // Records do not depend on where the bytes are cut (mid-tag, mid-character).
    t.strictSame(await readFixture(fixture, 7), records, 'the same records from 7-byte chunks')
  })
}
