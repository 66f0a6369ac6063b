// The benchmark's reading of wrk's report (a real one, from Debian's wrk 4.1.0), and of the export bench's
// revised repo: the figures docs/benchmarks.md records come from these two readers.
import t from 'tap'
import { generateUpdateinfo } from '../helpers/updateinfo-generator.js'
import { generatedId, reviseAdvisory } from './export-bench.js'
import { parseWrk } from './wrk.js'

const report = `Running 1s test @ http://127.0.0.1:18999/x
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.33ms   22.18ms 134.53ms   90.56%
    Req/Sec     1.19k   675.47     2.42k    75.00%
  Latency Distribution
     50%  596.00us
     75%    9.92ms
     90%   31.46ms
     99%     1.12s
  1145 requests in 1.10s, 146.48KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1041.87
Transfer/sec:    133.29KB
`

t.test('wrk: requests per second, p50 and p99 in ms, errors (non-2xx and socket errors)', async (t) => {
  t.same(parseWrk(report), { rps: 1041.87, p50: 0.596, p99: 1120, requests: 1145, errors: 12 })
  t.match(parseWrk(report.replace(/ {2}Socket errors.*\n {2}Non-2xx.*\n/, '')), { errors: 0 }, 'a clean run has no error lines')
  t.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'), /unexpected report/)
})

t.test('the revised repo changes exactly one advisory: its updated date and its description', async (t) => {
  const xml = [...generateUpdateinfo({ advisories: 30, packagesPerAdvisory: 2 })].join('')
  const id = generatedId(15)
  const revised = reviseAdvisory(xml, id)
  const updates = (text: string): string[] => text.split('</update>')
  const changed = updates(xml).map((u, i) => u === updates(revised)[i] ? null : u).filter((u) => u !== null)
  t.equal(changed.length, 1, 'one update element differs')
  t.match(changed[0], `<id>${id}</id>`, 'the one named')
  const after = updates(revised).find((u) => u.includes(`<id>${id}</id>`))!
  t.match(after, '<updated date="2031-01-01 00:00"/>')
  t.match(after, '<description>Revised after publication: the fix is also needed on aarch64. CVE-')
  t.throws(() => reviseAdvisory(xml, generatedId(30)), { message: `bench: advisory ${generatedId(30)} is not in the generated updateinfo` })
})
