// OSV output: every advisory's record and every line of the NDJSON export validate against the official OSV
// schema (only the unregistered ecosystem and id prefix exempted) and say what the advisory says.
import t, { type Test } from 'tap'
import ajv2020 from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { fixturesDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

// A lab product with what OSV must cope with: tilde, caret and epoch versions, noarch, a name built for two
// arches at different EVRs, a "+" in a name, unsafe and missing hrefs, no title or packages, a withdrawal.
const labXml = (withGone: boolean): string => `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update status="final" type="security" version="1">
    <id>LAB-2024:0001</id>
    <title>Critical: lab update</title>
    <issued date="2024-05-01 10:00:00"/>
    <updated date="2024-05-02 11:30:00"/>
    <severity>Critical</severity>
    <description>Fixes two lab flaws.</description>
    <references>
      <reference href="https://www.cve.org/CVERecord?id=CVE-2024-1111" id="CVE-2024-1111" type="cve"/>
      <reference href="https://bugzilla.example.com/show bug?id=77" id="77" type="bugzilla" title="CVE-2024-2222 lab bug"/>
      <reference href="javascript:alert(1)" id="EVIL" type="vendor"/>
      <reference id="NO-HREF" type="vendor"/>
    </references>
    <pkglist>
      <collection short="lab-1">
        <package name="tool" version="2.0~rc1" release="1" arch="x86_64" src="tool-2.0~rc1-1.src.rpm"/>
        <package name="tool" version="2.0~rc1" release="1" arch="src"/>
        <package name="snap" version="1.0^git5" release="1" arch="x86_64"/>
        <package name="epo" epoch="1" version="2.0" release="1" arch="x86_64"/>
        <package name="docs" version="3.0" release="1" arch="noarch"/>
        <package name="libfoo" version="1.5" release="2" arch="i686"/>
        <package name="libfoo" version="1.5" release="2" arch="x86_64"/>
        <package name="libstdc++" version="8.5" release="1" arch="x86_64"/>
        <package name="multi" version="1.0" release="1" arch="x86_64"/>
        <package name="multi" version="1.0" release="2" arch="aarch64"/>
      </collection>
    </pkglist>
  </update>
  ${withGone ? '<update type="bugfix"><id>LAB-2024:0002</id><title>gone</title><issued date="2024-04-01"/><pkglist><collection><package name="gone" version="9" release="1" arch="x86_64"/></collection></pkglist></update>' : ''}
  <update type="enhancement"><id>ALAS2-2018-939</id><title>the lab reuses an Amazon Linux 2 id</title><issued date="2018-01-01"/>
    <pkglist><collection><package name="zlib" version="1" release="1" arch="noarch"/></collection></pkglist></update>
  <update type="newpackage"><id>LAB/2023 "odd"</id></update>
</updates>`

interface Row { pk: number, product_id: string, id: string, type: string | null, severity: string | null, title: string | null, summary: string | null, description: string | null, issued: string | null, withdrawn: number, withdrawn_at: string | null, last_changed: string, reboot_suggested: number }
type OsvRecord = Record<string, unknown> & { id: string, affected: Affected[], references: Array<{ type: string, url: string }>, database_specific: { product: string, advisory_id: string } }
interface Affected { package: { ecosystem: string, name: string, purl: string }, ranges: Array<{ type: string, events: unknown[] }>, ecosystem_specific: { arches: string[], severity: string | null } }

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
const htmlUrl = (product: string, id: string): string => `http://localhost/${product}/${encodeURIComponent(id)}`
const evrOf = (p: { epoch: string, version: string, release: string }): string => `${p.epoch === '0' ? '' : `${p.epoch}:`}${p.version}-${p.release}`

async function setup (t: Test): Promise<{ dbPath: string, app: FastifyInstance, rows: Row[] }> {
  const { dir, dbPath } = testDb(t)
  const labRoot = join(dir, 'lab')
  const lab: RepoSpec = { productId: 'lab', productName: 'Lab Linux', url: labRoot, kind: 'baseurl', baseurls: [labRoot], name: 'lab', allowedHosts: [] }
  writeRepo(labRoot, labXml(true))
  await ingestOk(t, dbPath, [...demoRepos(), lab])
  writeRepo(labRoot, labXml(false))
  t.equal((await runIngest({ dbPath, repos: [lab] })).repos[0]?.withdrawn, 1, 'LAB-2024:0002 is withdrawn')
  const app = await testApp(t, { dbPath })
  const rows = readRows<Row>(dbPath, 'SELECT * FROM advisory ORDER BY product_id, id')
  return { dbPath, app, rows }
}

// ---------------------------------------------------------------------------------------------------------
// The schema, with exactly two constraints removed: Lambda Linux is not (yet) a registered ecosystem or prefix.

// CommonJS under NodeNext: the default import is module.exports, whose .default is the class (the function) itself.
const Ajv2020 = ajv2020.default
const addFormats = ajvFormats.default

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Paths ("a.b.0.c") where two JSON values differ, a key present on one side only included. */
function differences (a: Json, b: Json, path = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return a === b ? [] : [path]
  const x = a as Record<string, Json>
  const y = b as Record<string, Json>
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].flatMap((k) => {
    const at = path === '' ? k : `${path}.${k}`
    return k in x && k in y ? differences(x[k]!, y[k]!, at) : [at]
  })
}

/** Paths of every "$ref" to `target`. */
function refsTo (value: Json, target: string, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && v === target ? [path] : refsTo(v, target, path === '' ? k : `${path}.${k}`)))
}

function loadSchemas (t: Test): { strict: (v: unknown) => Array<{ instancePath: string, keyword: string, schemaPath: string }>, exempt: (v: unknown) => string | null } {
  const original = JSON.parse(readFileSync(join(fixturesDir, 'osv-schema.json'), 'utf8')) as { [key: string]: Json }
  const schema = structuredClone(original) as { $defs: Record<string, Record<string, Json>> } & { [key: string]: Json }
  // The two constraints, and the only places they apply: the id, and affected[].package.ecosystem.
  t.strictSame(refsTo(original, '#/$defs/prefix'), ['properties.id'], 'the prefix pattern constrains only the id')
  t.strictSame(refsTo(original, '#/$defs/ecosystemWithSuffix'), ['properties.affected.items.properties.package.properties.ecosystem'], 'the ecosystem pattern constrains only package.ecosystem')
  t.type(schema.$defs.prefix?.pattern, 'string')
  t.type(schema.$defs.ecosystemWithSuffix?.pattern, 'string')
  delete schema.$defs.prefix!.pattern
  delete schema.$defs.ecosystemWithSuffix!.pattern
  t.strictSame(differences(original, schema).sort(), ['$defs.ecosystemWithSuffix.pattern', '$defs.prefix.pattern'], 'the copy differs in exactly those two places')
  t.equal(schema.$defs.prefix!.type, 'string', 'the id must still be a string')
  t.equal(schema.$defs.ecosystemWithSuffix!.type, 'string', 'the ecosystem must still be a string')

  const make = (): InstanceType<typeof Ajv2020> => {
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(ajv)
    return ajv
  }
  const strictAjv = make()
  const strictValidate = strictAjv.compile(original)
  const exemptAjv = make()
  const exemptValidate = exemptAjv.compile(schema)
  return {
    strict: (v) => (strictValidate(v) ? [] : (strictValidate.errors ?? []).map((e) => ({ instancePath: e.instancePath, keyword: e.keyword, schemaPath: e.schemaPath }))),
    exempt: (v) => (exemptValidate(v) ? null : exemptAjv.errorsText(exemptValidate.errors, { separator: '\n' }))
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the record must say, from the database.

function checkContent (t: Test, dbPath: string, row: Row, record: OsvRecord): void {
  const key = `${row.product_id}/${row.id}`
  t.equal(record.schema_version, '1.6.0', `${key}: schema_version`)
  t.equal(record.id, `LLSC-${row.product_id}-${row.id}`, `${key}: id is LLSC-<product>-<advisory id>`)
  t.equal(record.modified, row.last_changed, `${key}: modified`)
  t.match(record.modified, rfc3339, `${key}: modified is RFC 3339 UTC without milliseconds`)
  if (row.issued === null) t.notOk('published' in record, `${key}: no published without an issued date`)
  else {
    t.equal(record.published, row.issued, `${key}: published = issued`)
    t.match(record.published, rfc3339, `${key}: published is RFC 3339 UTC without milliseconds`)
  }
  if (row.withdrawn === 1) t.equal(record.withdrawn, row.withdrawn_at, `${key}: withdrawn`)
  else t.notOk('withdrawn' in record, `${key}: not withdrawn`)
  const cves = readRows<{ cve: string }>(dbPath, 'SELECT DISTINCT cve FROM advisory_cve WHERE advisory_pk = ? ORDER BY cve', row.pk).map((r) => r.cve)
  t.strictSame(record.aliases, cves, `${key}: aliases are the CVEs`)
  t.equal(record.summary, row.title ?? undefined, `${key}: summary is the title`)
  t.equal(record.details, row.description ?? row.summary ?? undefined, `${key}: details`)

  // One entry per binary package name; each (name, arch) is fixed at that package's EVR.
  const binaries = readRows<{ name: string, epoch: string, version: string, release: string, arch: string }>(dbPath, `SELECT DISTINCT name, epoch, version, release, arch
    FROM advisory_package WHERE advisory_pk = ? AND arch NOT IN ('src', 'nosrc')`, row.pk)
  const names = [...new Set(binaries.map((b) => b.name))].sort()
  t.strictSame([...new Set(record.affected.map((a) => a.package.name))].sort(), names, `${key}: affected names are the binary package names`)
  for (const a of record.affected) {
    t.strictSame(a.package, { ecosystem: `Lambda Linux:${row.product_id}`, name: a.package.name, purl: `pkg:rpm/lambda-linux/${encodeURIComponent(a.package.name)}?distro=${row.product_id}` }, `${key}: ${a.package.name} package`)
    t.equal(a.ecosystem_specific.severity, row.severity, `${key}: ${a.package.name} severity`)
  }
  for (const name of names) {
    const builds = binaries.filter((b) => b.name === name)
    const evrs = [...new Set(builds.map(evrOf))]
    if (evrs.length === 1) {
      t.strictSame(record.affected.filter((a) => a.package.name === name).map((a) => ({ ranges: a.ranges, arches: a.ecosystem_specific.arches })), [{
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: evrs[0] }] }],
        arches: [...new Set(builds.map((b) => b.arch))].sort()
      }], `${key}: ${name} has one entry, fixed at ${evrs[0]}`)
    }
    for (const b of builds) {
      // Whatever the grouping, the entry that claims this arch must carry this arch's fixed EVR.
      const claims = record.affected.filter((a) => a.package.name === name && a.ecosystem_specific.arches.includes(b.arch))
      t.strictSame(claims.map((a) => a.ranges), [[{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: evrOf(b) }] }]], `${key}: ${name}.${b.arch} is fixed at ${evrOf(b)}`)
    }
  }

  const page = htmlUrl(row.product_id, row.id)
  t.ok(record.references.some((r) => r.type === 'ADVISORY' && r.url === page), `${key}: references include the advisory page`)
  t.notOk(record.references.some((r) => !/^https?:\/\//.test(r.url)), `${key}: only http(s) references`)
  // The product's signing key, once read (the demo's amzn2 has one: ingest/demo/config.json).
  const signingKey = readRows<{ fingerprint: string }>(dbPath, 'SELECT fingerprint FROM signing_key WHERE product_id = ? AND fingerprint IS NOT NULL', row.product_id)[0]
  t.strictSame(record.database_specific, { product: row.product_id, advisory_id: row.id, severity: row.severity, type: row.type, reboot_suggested: row.reboot_suggested === 1, url: page, ...(signingKey !== undefined && { signing_key_fingerprint: signingKey.fingerprint }) }, `${key}: database_specific`)
}

// ---------------------------------------------------------------------------------------------------------

t.test('OSV', async (t) => {
  const { dbPath, app, rows } = await setup(t)
  const { strict, exempt } = loadSchemas(t)
  const records = new Map<string, OsvRecord>()
  t.equal(rows.length, 33)

  t.test('every advisory as OSV: valid against the schema, content from the database', async (t) => {
    for (const row of rows) {
      const key = `${row.product_id}/${row.id}`
      const res = await app.inject(`/api/v1/advisories/${encodeURIComponent(row.id)}/osv?product=${row.product_id}`)
      t.equal(res.statusCode, 200, `${key}: 200`)
      t.match(res.headers['content-type'], /^application\/json/)
      const record = res.json() as OsvRecord
      records.set(key, record)
      t.equal(exempt(record), null, `${key}: valid OSV`)
      // The full schema objects only to the two exempted points, so nothing else is hidden.
      const errors = strict(record).filter((e) => e.keyword !== 'pattern' || !(e.instancePath === '/id' || /^\/affected\/\d+\/package\/ecosystem$/.test(e.instancePath)))
      t.strictSame(errors, [], `${key}: the full schema objects only to the id prefix and the ecosystem`)
      checkContent(t, dbPath, row, record)
    }
    const lab = records.get('lab/LAB-2024:0001')!
    t.strictSame(lab.aliases, ['CVE-2024-1111', 'CVE-2024-2222'], 'a CVE named in a reference title counts')
    t.strictSame(lab.affected.find((a) => a.package.name === 'epo')?.ranges, [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:2.0-1' }] }], 'epoch in the fixed EVR')
    t.strictSame(lab.affected.find((a) => a.package.name === 'snap')?.ranges[0]?.events[1], { fixed: '1.0^git5-1' }, 'caret kept')
    t.strictSame(lab.affected.find((a) => a.package.name === 'tool')?.ranges[0]?.events[1], { fixed: '2.0~rc1-1' }, 'tilde kept, the src package left out')
    t.strictSame(lab.affected.find((a) => a.package.name === 'libfoo')?.ecosystem_specific.arches, ['i686', 'x86_64'])
    t.equal(lab.affected.find((a) => a.package.name === 'libstdc++')?.package.purl, 'pkg:rpm/lambda-linux/libstdc%2B%2B?distro=lab')
    t.strictSame(lab.references, [
      { type: 'ADVISORY', url: 'http://localhost/lab/LAB-2024%3A0001' },
      { type: 'WEB', url: 'https://www.cve.org/CVERecord?id=CVE-2024-1111' },
      { type: 'REPORT', url: 'https://bugzilla.example.com/show%20bug?id=77' }
    ], 'unsafe and missing hrefs are left out')
    t.match(records.get('lab/LAB-2024:0002')?.withdrawn, rfc3339, 'a withdrawn advisory carries the time')
    t.strictSame(records.get('lab/LAB/2023 "odd"')?.affected, [], 'no packages, no affected entries')
    t.equal(records.get('lab/ALAS2-2018-939')?.summary, 'the lab reuses an Amazon Linux 2 id', '?product= picks the record of an id two products use')
    t.ok(strict(lab).some((e) => e.instancePath === '/affected/0/package/ecosystem'), 'the unmodified schema does refuse the unregistered ecosystem')
  })

  t.test('the NDJSON export: one valid record per advisory, the same as the single records', async (t) => {
    const res = await app.inject('/api/v1/osv/all.ndjson')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/x-ndjson/)
    t.ok(res.body.endsWith('\n'), 'every line ends with a newline')
    const lines = res.body.slice(0, -1).split('\n')
    t.equal(lines.length, rows.length, 'one line per advisory')
    const seen = new Set<string>()
    for (const [i, line] of lines.entries()) {
      const record = JSON.parse(line) as OsvRecord
      const key = `${record.database_specific.product}/${record.database_specific.advisory_id}`
      seen.add(key)
      t.equal(exempt(record), null, `line ${i + 1} (${key}): valid OSV`)
      t.strictSame(record, records.get(key), `line ${i + 1} (${key}): the same as /api/v1/advisories/{id}/osv`)
    }
    t.strictSame([...seen].sort(), rows.map((r) => `${r.product_id}/${r.id}`).sort(), 'every advisory exactly once')

    const lab = await app.inject('/api/v1/osv/all.ndjson?product=lab')
    t.strictSame(lab.body.trim().split('\n').map((l) => (JSON.parse(l) as OsvRecord).id).sort(), rows.filter((r) => r.product_id === 'lab').map((r) => `LLSC-lab-${r.id}`).sort(), '?product= exports one product')
    const bad = await app.inject('/api/v1/osv/all.ndjson?product=nope')
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { error: 'Bad Request', message: /^product: unknown product "nope"/ })
    t.equal((await app.inject({ url: '/api/v1/osv/all.ndjson', headers: { 'if-none-match': res.headers.etag as string } })).statusCode, 304, 'ETag and 304 like every GET')
  })

  t.test('the NDJSON export: OSV ids identify one record each', async (t) => {
    // An importer keys records by id: two different records under one id overwrite each other.
    const ids = (await app.inject('/api/v1/osv/all.ndjson')).body.trim().split('\n').map((l) => (JSON.parse(l) as OsvRecord).id)
    t.strictSame(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no id appears twice in the export')
  })
})
