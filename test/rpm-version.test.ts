// rpmvercmp and EVR comparison against every vector in rpmvercmp.tsv (each checked against rpm 4.18).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compareEvr, parseEvr, rpmvercmp } from '../domain/rpm-version.js'
import { fixturesDir } from './helpers/paths.js'

// Comment lines, then a header row (a, b, expected, kind, source, note), then one vector per line.
const rows = readFileSync(join(fixturesDir, 'rpmvercmp.tsv'), 'utf8').split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .slice(1)
  .map((line) => line.split('\t'))

t.test('every vector in rpmvercmp.tsv', async (t) => {
  t.equal(rows.length, 157)
  for (const [a, b, expected, kind, , note] of rows) {
    const got = kind === 'evr' ? compareEvr(parseEvr(a!), parseEvr(b!)) : rpmvercmp(a!, b!)
    t.equal(got, Number(expected), `${kind} ${a} vs ${b}${note === undefined || note === '' ? '' : ` (${note})`}`)
  }
})

t.test('parseEvr splits as rpm does', async (t) => {
  t.same(parseEvr('1:2.3-4.el8'), { epoch: '1', version: '2.3', release: '4.el8' })
  t.same(parseEvr('2.3'), { epoch: null, version: '2.3', release: null })
  t.same(parseEvr(':2.3-1'), { epoch: '0', version: '2.3', release: '1' })
  t.same(parseEvr('1.0-1-2'), { epoch: null, version: '1.0-1', release: '2' })
})
