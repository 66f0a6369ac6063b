// Unit tests of the date rule (format doc section 3, docs/ingest.md) and the one flag rule, plus the
// normalizeUpdate special cases they feed. Expected instants were computed independently (date -u -d @N).
import t from 'tap'
import { normalizeUpdate, parseFlag, parseUpdateinfoDate } from '../ingest/normalize.js'
import type { RawUpdate } from '../ingest/updateinfo-parser.js'

t.test('epoch seconds (SUSE/openSUSE)', async (t) => {
  t.equal(parseUpdateinfoDate('1458667800'), '2016-03-22T17:30:00Z')
  t.equal(parseUpdateinfoDate('1208907002'), '2008-04-22T23:30:02Z')
  t.equal(parseUpdateinfoDate('1555429284'), '2019-04-16T15:41:24Z')
  t.equal(parseUpdateinfoDate('0'), '1970-01-01T00:00:00Z')
  t.equal(parseUpdateinfoDate(' 1458667800\n'), '2016-03-22T17:30:00Z', 'trimmed')
})

t.test("'YYYY-MM-DD HH:MM' without seconds (Amazon AL1/AL2/AL2022)", async (t) => {
  t.equal(parseUpdateinfoDate('2016-03-22 17:30'), '2016-03-22T17:30:00Z')
  t.equal(parseUpdateinfoDate('2018-02-07 18:49'), '2018-02-07T18:49:00Z')
  t.equal(parseUpdateinfoDate('2013-02-27 17:00'), '2013-02-27T17:00:00Z')
})

t.test("'YYYY-MM-DD HH:MM:SS' (createrepo_c, RH clones, Fedora, AL2023)", async (t) => {
  t.equal(parseUpdateinfoDate('2016-03-22 17:30:00'), '2016-03-22T17:30:00Z')
  t.equal(parseUpdateinfoDate('2023-02-17 20:41:00'), '2023-02-17T20:41:00Z')
  t.equal(parseUpdateinfoDate('2021-07-22 18:25:24'), '2021-07-22T18:25:24Z')
})

t.test("' UTC' / ' GMT' suffix", async (t) => {
  t.equal(parseUpdateinfoDate('2013-01-27 16:08:05 UTC'), '2013-01-27T16:08:05Z')
  t.equal(parseUpdateinfoDate('2014-07-20 06:00:01 UTC'), '2014-07-20T06:00:01Z')
  t.equal(parseUpdateinfoDate('2016-03-22 17:30:00 GMT'), '2016-03-22T17:30:00Z')
})

t.test("' CEST' and other zone abbreviations are read as UTC (as libsolv does)", async (t) => {
  t.equal(parseUpdateinfoDate('2012-01-27 16:08:06 CEST'), '2012-01-27T16:08:06Z')
  t.equal(parseUpdateinfoDate('2012-01-27 16:08:06 EST'), '2012-01-27T16:08:06Z')
})

t.test('date only', async (t) => {
  t.equal(parseUpdateinfoDate('2013-01-27'), '2013-01-27T00:00:00Z')
  t.equal(parseUpdateinfoDate('2016-03-22'), '2016-03-22T00:00:00Z')
})

t.test("ISO 'T…Z' (Bottlerocket), fractions dropped", async (t) => {
  t.equal(parseUpdateinfoDate('2025-06-11T19:52:52Z'), '2025-06-11T19:52:52Z')
  t.equal(parseUpdateinfoDate('2026-03-17T16:22:44Z'), '2026-03-17T16:22:44Z')
  t.equal(parseUpdateinfoDate('2025-06-11T19:52:52.987Z'), '2025-06-11T19:52:52Z')
  t.equal(parseUpdateinfoDate('2025-06-11T19:52'), '2025-06-11T19:52:00Z')
})

t.test("'±HH:MM' offsets are applied", async (t) => {
  t.equal(parseUpdateinfoDate('2016-03-22T17:30:00+02:00'), '2016-03-22T15:30:00Z')
  t.equal(parseUpdateinfoDate('2016-03-22 17:30:00-05:00'), '2016-03-22T22:30:00Z')
  t.equal(parseUpdateinfoDate('2016-03-22T00:30:00+02:00'), '2016-03-21T22:30:00Z', 'across midnight')
  t.equal(parseUpdateinfoDate('2016-03-22T17:30:00+0530'), '2016-03-22T12:00:00Z', 'without colon')
  t.equal(parseUpdateinfoDate('2016-03-22T17:30:00+00:00'), '2016-03-22T17:30:00Z')
})

t.test('garbage and impossible dates are null', async (t) => {
  for (const raw of ['15mangled2', 'yesterday', '22/03/2016', '2016-3-22', '2016-03-22 17', '2016-03-22 17:30 Europe/Paris', '', '   ', undefined]) {
    t.equal(parseUpdateinfoDate(raw), null, JSON.stringify(raw) ?? 'undefined')
  }
  t.equal(parseUpdateinfoDate('2023-02-30'), null)
  t.equal(parseUpdateinfoDate('2023-02-29'), null, 'not a leap year')
  t.equal(parseUpdateinfoDate('2024-02-29'), '2024-02-29T00:00:00Z', 'leap year')
  t.equal(parseUpdateinfoDate('2023-13-01'), null)
  t.equal(parseUpdateinfoDate('2023-00-10'), null)
  t.equal(parseUpdateinfoDate('2023-04-31 10:00'), null)
  t.equal(parseUpdateinfoDate('2016-03-22 24:00'), null)
  t.equal(parseUpdateinfoDate('2016-03-22 17:60'), null)
})

t.test('parseFlag: absent = false; false/0/no/off = false; anything else, empty included, = true', async (t) => {
  t.equal(parseFlag(undefined), false, 'absent')
  for (const raw of ['', '   ', '\n  ', 'True', 'true', 'TRUE', '1', 'yes', 'on', 'anything']) t.equal(parseFlag(raw), true, JSON.stringify(raw))
  for (const raw of ['False', 'false', 'FALSE', ' false ', '0', ' 0\n', 'no', 'No', 'off', 'OFF']) t.equal(parseFlag(raw), false, JSON.stringify(raw))
})

const raw = (fields: Partial<RawUpdate>): RawUpdate => ({ line: 1, references: [], collections: [], ...fields })

t.test('normalizeUpdate: dates kept raw beside the ISO value, a warning for unparseable ones', async (t) => {
  const got = normalizeUpdate(raw({ id: 'X-1', issued: '15mangled2', updated: '2013-01-27 16:08:05 UTC' }))
  t.strictSame([got?.advisory.issued, got?.advisory.issuedRaw, got?.advisory.updated, got?.advisory.updatedRaw], [null, '15mangled2', '2013-01-27T16:08:05Z', '2013-01-27 16:08:05 UTC'])
  t.strictSame(got?.warnings, ['X-1: unparseable issued date "15mangled2" stored as unknown'])
  const later = normalizeUpdate(raw({ id: 'X-2', issued: '2021-07-22 18:25:24', updated: '2021-06-29 00:00:00' }))
  t.strictSame([later?.advisory.issued, later?.advisory.updated, later?.warnings], ['2021-07-22T18:25:24Z', '2021-06-29T00:00:00Z', []], 'updated earlier than issued is kept')
  t.strictSame([normalizeUpdate(raw({ id: 'X-3' }))?.advisory.issued, normalizeUpdate(raw({ id: 'X-3' }))?.advisory.issuedRaw], [null, null], 'absent')
})

t.test('normalizeUpdate: severity, flags, epoch, missing id', async (t) => {
  const severity = (s: string | undefined): unknown[] => { const a = normalizeUpdate(raw({ id: 'S', severity: s }))!.advisory; return [a.severity, a.severityRaw] }
  t.strictSame(severity('Important'), ['important', 'Important'])
  t.strictSame(severity('None'), [null, 'None'])
  t.strictSame(severity(''), [null, ''])
  t.strictSame(severity(undefined), [null, null])
  const pkg = (p: Record<string, string>): RawUpdate['collections'] => [{ modules: [], packages: [{ name: 'p', version: '1', release: '1', arch: 'noarch', ...p }] }]
  t.equal(normalizeUpdate(raw({ id: 'R', rebootSuggested: '' }))?.advisory.rebootSuggested, true, 'update-level empty element')
  t.equal(normalizeUpdate(raw({ id: 'R', rebootSuggested: 'False' }))?.advisory.rebootSuggested, false)
  t.equal(normalizeUpdate(raw({ id: 'R', collections: pkg({ rebootSuggested: '1' }) }))?.advisory.rebootSuggested, true, 'a package flag')
  t.equal(normalizeUpdate(raw({ id: 'R', collections: pkg({ restartSuggested: '1' }) }))?.advisory.rebootSuggested, false, 'restart is not reboot')
  const epoch = (e: string | undefined): string | undefined => normalizeUpdate(raw({ id: 'E', collections: pkg(e === undefined ? {} : { epoch: e }) }))?.advisory.collections[0]?.packages[0]?.epoch
  t.strictSame([epoch(undefined), epoch(''), epoch('0'), epoch('10'), epoch('abc')], ['0', '0', '0', '10', '0'])
  const srcName = (src: string | undefined): unknown => normalizeUpdate(raw({ id: 'N', collections: pkg(src === undefined ? {} : { src }) }))?.advisory.collections[0]?.packages[0]?.srcName
  t.strictSame([srcName('openssl-1.0.2k-19.amzn2.src.rpm'), srcName(' Packages/kernel-4.18.0-305.el8.src.rpm '), srcName('openssl'), srcName(undefined)],
    ['openssl', 'kernel', null, null], 'the source name the store writes and searches')
  t.equal(normalizeUpdate(raw({ title: 'no id' })), null)
  t.equal(normalizeUpdate(raw({ id: '  ' })), null)
})

t.test('normalizeUpdate: Amazon double-escaped apostrophes and CVE ids', async (t) => {
  const got = normalizeUpdate(raw({
    id: 'ALAS-1',
    title: 'kernel CVE-2024-43840',
    description: '\n\nthe microprocessor&#039;s data cache\n\nsecond paragraph  \n',
    references: [{ type: 'CVE', id: 'cve-2017-5715', title: '' }, { type: 'bugzilla', id: '1', title: 'CVE-2018-2579 in a title' }, { type: 'other', href: 'https://x/CVE-2019-8324' }]
  }))!.advisory
  t.equal(got.description, "the microprocessor's data cache\n\nsecond paragraph")
  t.strictSame(got.references.map((r) => [r.type, r.title]), [['cve', null], ['bugzilla', 'CVE-2018-2579 in a title'], ['other', null]])
  t.strictSame(got.cves, ['CVE-2017-5715', 'CVE-2018-2579', 'CVE-2019-8324', 'CVE-2024-43840'])
})
