// Every updateinfo fixture is published as a real repo (gzip + repomd.xml), ingested with runIngest into a
// fresh SQLite file, and read back. Expected values come from reading each fixture's XML, not from the code.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoResult } from '../ingest/ingest-repo.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]
type Row = Record<string, unknown>
interface Ingested { db: string, result: RepoResult, warnings: string[] }

const dir = join(fixturesDir, 'updateinfo')

async function ingest (t: Test, xml: Buffer): Promise<Ingested> {
  const tmp = tempDir(t)
  const root = join(tmp, 'repo')
  writeRepo(root, xml)
  const db = join(tmp, 'db.sqlite')
  const warnings: string[] = []
  const summary = await runIngest({
    dbPath: db,
    repos: [{ productId: 'test', productName: 'Test', url: root, kind: 'baseurl', baseurls: [root], name: null, allowedHosts: [] }],
    log: { info: () => {}, warn: (message) => { warnings.push(message) } }
  })
  return { db, result: summary.repos[0]!, warnings }
}

const blank = { type: null, status: null, version: null, from_address: null, author: null, title: null, issued: null, issued_raw: null, updated: null, updated_raw: null, severity: null, severity_raw: null, summary: null, description: null, solution: null, rights: null, release: null, pushcount: null, reboot_suggested: 0 }
/** The expected advisory row: every column not given must be NULL (reboot_suggested 0). */
const row = (fields: Partial<Record<keyof typeof blank, string | number | null>>): Row => ({ ...blank, ...fields })
const advisory = (db: string, id: string): Row | undefined =>
  readRows(db, `SELECT ${Object.keys(blank).join(', ')} FROM advisory WHERE product_id = 'test' AND id = ?`, id)[0]

const byId = 'JOIN advisory a ON a.pk = x.advisory_pk WHERE a.id = ?'
const refs = (db: string, id: string): unknown[][] =>
  readRows<Row>(db, `SELECT x.type, x.ref_id, x.href, x.title FROM advisory_reference x ${byId} ORDER BY x.seq`, id).map((r) => Object.values(r))
const cves = (db: string, id: string): string[] =>
  readRows<{ cve: string }>(db, `SELECT x.cve FROM advisory_cve x ${byId} ORDER BY x.cve`, id).map((r) => r.cve)
const collections = (db: string, id: string): Row[] =>
  readRows<{ pk: number, short: string | null, name: string | null }>(db, `SELECT x.pk, x.short, x.name FROM advisory_collection x ${byId} ORDER BY x.seq`, id)
    .map((c) => ({ short: c.short, name: c.name, modules: readRows<Row>(db, 'SELECT name, stream, version, context, arch FROM advisory_module WHERE collection_pk = ? ORDER BY seq', c.pk).map((m) => Object.values(m)) }))
const packages = (db: string, id: string): Row[] =>
  readRows(db, `SELECT c.seq AS coll, x.name, x.epoch, x.version, x.release, x.arch, x.src, x.filename, x.sum_type, x.sum,
    x.reboot_suggested AS reboot, x.restart_suggested AS restart, x.relogin_suggested AS relogin
    FROM advisory_package x JOIN advisory_collection c ON c.pk = x.collection_pk ${byId} ORDER BY c.seq, x.seq`, id)
/** The expected package row: absent attributes NULL, flags 0, first collection. */
const pkg = (name: string, epoch: string, version: string, release: string, arch: string, more: Row = {}): Row =>
  ({ coll: 0, name, epoch, version, release, arch, src: null, filename: null, sum_type: null, sum: null, reboot: 0, restart: 0, relogin: 0, ...more })
const nevra = (p: Row): string => `${String(p.name)}-${String(p.epoch)}:${String(p.version)}-${String(p.release)}.${String(p.arch)}`
const count = (db: string, sql: string, ...params: unknown[]): unknown => readRows<{ n: number }>(db, sql, ...params)[0]?.n

const fedora = 'http://www.fedoraproject.org'
const pulpBase = { type: 'security', status: 'stable', version: '1', from_address: 'errata@redhat.com', release: '1' }
const pulpSea = (fields = {}): Row => row({ ...pulpBase, title: 'Sea_Erratum', issued: '2012-01-27T16:08:06Z', issued_raw: '2012-01-27 16:08:06', updated: '2012-01-27T16:08:06Z', updated_raw: '2012-01-27 16:08:06', description: 'Sea_Erratum', ...fields })
const seaPackages = ['walrus-0:5.21-1.noarch', 'penguin-0:0.9.1-1.noarch', 'shark-0:0.1-1.noarch']
const amazon = { type: 'security', status: 'final', version: '1.4', from_address: 'linux-security@amazon.com', author: 'linux-security@amazon.com' }
const cveRef = (id: string): unknown[] => ['cve', id, `http://cve.mitre.org/cgi-bin/cvename.cgi?name=${id}`, null] // title="" is no title

interface Fixture { added: number, skipped?: number, warnings?: number, check?: (t: Test, got: Ingested) => void }

const fixtures: Record<string, Fixture> = {
  'createrepo_c__updateinfo_00_empty.xml': { added: 0 },
  'createrepo_c__updateinfo_01.xml': {
    added: 1,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'foobarupdate_1'), row({ type: 'enhancement', status: 'final', version: '3', from_address: 'secresponseteam@foo.bar', title: 'title_1', issued: '2012-12-12T00:00:00Z', issued_raw: '2012-12-12 00:00:00', updated: '2012-12-12T00:00:00Z', updated_raw: '2012-12-12 00:00:00', severity: 'severity_1', severity_raw: 'severity_1', summary: 'summary_1', description: 'description_1', solution: 'solution_1', rights: 'rights_1', release: 'release_1', pushcount: 'pushcount_1', reboot_suggested: 1 }))
      t.strictSame(refs(db, 'foobarupdate_1'), [['self', '1', 'https://foobar/foobarupdate_1', 'update_1']])
      t.strictSame(cves(db, 'foobarupdate_1'), [])
      t.strictSame(collections(db, 'foobarupdate_1'), [{ short: 'foo.component', name: 'Foo component', modules: [] }])
      // <reboot_suggested/>, <restart_suggested/>, <relogin_suggested/>: empty elements mean true.
      t.strictSame(packages(db, 'foobarupdate_1'), [pkg('bar', '0', '2.0.1', '3', 'noarch', { src: 'bar-2.0.1-3.src.rpm', filename: 'bar-2.0.1-3.noarch.rpm', sum_type: 'sha256', sum: '29be985e1f652cd0a29ceed6a1c49964d3618bddd22f0be3292421c8777d26c8', reboot: 1, restart: 1, relogin: 1 })])
    }
  },
  'createrepo_c__updateinfo_02_allempty.xml': {
    added: 0,
    skipped: 1,
    warnings: 1,
    check: (t, { db, warnings }) => {
      t.match(warnings[0], /an <update> without an id \(line 3\) was skipped/)
      t.equal(count(db, 'SELECT count(*) AS n FROM advisory_package'), 0)
      t.equal(count(db, 'SELECT count(*) AS n FROM advisory_reference'), 0)
    }
  },
  'createrepo_c__updateinfo_03.xml': {
    added: 6,
    warnings: 1, // 15mangled2
    check: (t, { db, warnings }) => {
      const erratum = { type: 'security', status: 'stable', version: '1', from_address: 'errata@redhat.com', release: '1' }
      t.strictSame(advisory(db, 'RHEA-2012:0055'), row({ ...erratum, title: 'Sea_Erratum', issued: '2012-01-27T16:08:06Z', issued_raw: '2012-01-27 16:08:06', updated: '2012-01-27T16:08:06Z', updated_raw: '2012-01-27 16:08:06', description: 'Sea_Erratum' }))
      t.strictSame(packages(db, 'RHEA-2012:0055')[0], pkg('walrus', '0', '5.21', '1', 'noarch', { src: fedora, filename: 'walrus-5.21-1.noarch.rpm' }), 'missing epoch is 0')
      t.strictSame(packages(db, 'RHEA-2012:0055').map(nevra), seaPackages)
      t.strictSame(collections(db, 'RHEA-2012:0055'), [{ short: null, name: '1', modules: [] }], 'short="" is no short name')
      t.strictSame(advisory(db, 'RHEA-2012:0057'), row({ ...erratum, title: 'Bear_ErratumPARTHA', issued: null, issued_raw: '15mangled2', updated: '2013-01-27T16:08:05Z', updated_raw: '2013-01-27 16:08:05 UTC', description: 'Bear_Erratum' }))
      t.match(warnings[0], /RHEA-2012:0057: unparseable issued date "15mangled2"/)
      t.strictSame(advisory(db, 'RHEA-2012:0058'), row({ ...erratum, type: 'enhancement', title: 'Gorilla_Erratum', issued: '2013-01-27T16:08:09Z', issued_raw: '2013-01-27 16:08:09', updated: '2014-07-20T06:00:01Z', updated_raw: '2014-07-20 06:00:01 UTC', description: 'Gorilla_Erratum', reboot_suggested: 1 }))
      t.equal(advisory(db, 'RHEA-2012:0059')?.reboot_suggested, 1, 'an empty update-level <reboot_suggested/> is true')
      t.strictSame(collections(db, 'RHEA-2012:0059'), [
        { short: null, name: 'coll_name1', modules: [['kangaroo', '0', '20180730223407', 'deadbeef', 'noarch']] },
        { short: null, name: 'coll_name2', modules: [['duck', '0', '20180730233102', 'deadbeef', 'noarch']] }
      ])
      t.strictSame(packages(db, 'RHEA-2012:0059'), [pkg('kangaroo', '0', '0.3', '1', 'noarch', { src: fedora, filename: 'kangaroo-0.3-1.noarch.rpm' }), pkg('duck', '0', '0.7', '1', 'noarch', { coll: 1, src: fedora, filename: 'duck-0.7-1.noarch.rpm' })])
      // Epoch-second issued date; updated is earlier than issued and kept as it is.
      t.strictSame(advisory(db, 'RHEA-2012:0060'), row({ ...erratum, type: 'enhancement', title: 'Duck_0.8_Erratum', issued: '2019-04-16T15:41:24Z', issued_raw: '1555429284', updated: '2018-07-29T06:00:01Z', updated_raw: '2018-07-29 06:00:01 UTC', description: 'Duck_0.8_Erratum description' }))
      t.strictSame(collections(db, 'RHEA-2012:0060'), [{ short: null, name: 'coll_name', modules: [['duck', '0', '201809302113907', 'deadbeef', 'noarch']] }])
    }
  },
  'createrepo_c__updateinfo_ampersand.xml': {
    added: 1,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'foobarupd&ate_1'), row({ type: 'enhancement', status: 'final', version: '3', from_address: 'se&cresponseteam@foo.bar', title: 'title_1', issued: '2012-12-12T00:00:00Z', issued_raw: '2012-12-12 00:00:00', updated: '2012-12-12T00:00:00Z', updated_raw: '2012-12-12 00:00:00', severity: 'severity_1', severity_raw: 'severity_1', summary: 'summary_1', description: 'description_1', solution: 'solution_1&', rights: 'rights_1&', release: 'release_1&', pushcount: 'pushcount_1', reboot_suggested: 1 }))
      t.strictSame(refs(db, 'foobarupd&ate_1'), [['self', '1', 'https://foo&bar/foobarupdate_1', 'u&pdate_1']])
      t.strictSame(collections(db, 'foobarupd&ate_1'), [{ short: 'f&oo.component', name: 'Foo component&', modules: [] }])
      t.strictSame(packages(db, 'foobarupd&ate_1'), [pkg('ba&r', '0', '2.0.1', '3', 'noarch', { src: 'bar-2.0.1-3.src.rpm', filename: 'bar&-2.0.1-3.noarch.rpm', sum_type: 'sha256', sum: '29be985e1f652cd0a29ceed6a1c49964d3618bddd22f0be3292421c8777d26c8', reboot: 1, restart: 1, relogin: 1 })])
    }
  },
  'dnf__tests_repos_rpm_updateinfo.xml': {
    added: 3,
    check: (t, { db }) => {
      const base = { status: 'stable', version: '1.4', from_address: 'rholy@redhat.com', release: 'Fedora 20', description: 'testing advisory' }
      t.strictSame(advisory(db, 'DNF-2014-1'), row({ ...base, type: 'bugfix', title: 'tour-4-4', issued: '2014-07-08T17:34:01Z', issued_raw: '2014-07-08 17:34:01' }), 'no <updated>: NULL')
      t.strictSame(readRows(db, 'SELECT id, type FROM advisory ORDER BY id'), [{ id: 'DNF-2014-1', type: 'bugfix' }, { id: 'DNF-2014-2', type: 'enhancement' }, { id: 'DNF-2014-3', type: 'security' }])
      t.strictSame(refs(db, 'DNF-2014-3'), [], '<references/>')
      t.strictSame(collections(db, 'DNF-2014-3'), [{ short: 'F20', name: 'Fedora 20', modules: [] }])
      t.strictSame(packages(db, 'DNF-2014-3'), [pkg('tour', '0', '5', '1', 'noarch', { src: 'https://github.com/akozumpl/dnf/blob/master/tests/repos/rpm/tour-5-1.noarch.rpm', filename: 'tour-5-1.noarch.rpm' })])
    }
  },
  'libdnf__advisories_multimodule.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'FEDORA-2019-0329090518'
      t.strictSame(advisory(db, id), row({ type: 'enhancement', status: 'final', version: '3', from_address: 'secresponseteam@foo.bar', title: 'glibc bug fix', issued: '2019-03-29T00:00:00Z', issued_raw: '2019-03-29 00:00:00', updated: '2019-03-29T00:00:00Z', updated_raw: '2019-03-29 00:00:00', severity: null, severity_raw: 'none', rights: 'Everyone has them', summary: 'summary_1', description: 'Enhance some stuff', reboot_suggested: 1 }))
      t.strictSame(refs(db, id), [['bugzilla', '2222', 'https://foobar/foobarupdate_2', '222'], ['cve', '2222', 'https://foobar/foobarupdate_2', 'CVE-2999']])
      t.strictSame(cves(db, id), [], '"2222" and "CVE-2999" are no CVE ids')
      t.strictSame(collections(db, id), [
        { short: 'named collection', name: 'Foo component', modules: [['perl-DBI', 'master', '2', '2c', 'x86_64'], ['non', 'existing', '2', 'module', 'x86_64']] },
        { short: 'unreal collection', name: 'Foo component', modules: [['perl-DBI', 'master', '2', '2b', 'x86_64']] },
        { short: 'perl collection', name: 'perl component', modules: [['perl', '5.23', '2', 'aa', 'x86_64']] }
      ], 'both modules of the first collection are kept')
      const more = (coll: number, filename: string, reboot: number): Row => ({ coll, src: 'http://www.foo.org', filename, reboot })
      t.strictSame(packages(db, id), [
        pkg('test-perl-DBI', '0', '1', '2.module_el8+6745+9879ate3', 'x86_64', more(0, 'perl-DBI-1-2.module_el8+6745+9879ate3.spec', 1)),
        pkg('test-perl-DBI-new-collection-override', '0', '1', '2.module_el8+6745+9879ate3', 'x86_64', more(0, 'perl-DBI-1-2.module_el8+6745+9879ate3.spec', 1)),
        pkg('test-perl-DBI', '0', '1', '2.module_el8+6587+9879afr5', 'x86_64', more(1, 'perl-DBI-1-2.module_el8+6587+9879afr5.spec', 1)),
        pkg('not-present', '0', '5.24', '1.module_el8+5182+8241aed2', 'x86_64', more(2, 'not-present-0:5.24-1.module_el8+5182+8241aed2.x86_64', 0))
      ])
    }
  },
  'libdnf__hawkey_yum_updateinfo.xml': {
    added: 2,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'FEDORA-2008-9969'), row({ type: 'bugfix', status: 'stable', version: '1.4', from_address: 'updates@fedoraproject.org', title: 'lvm2-2.02.39-7.fc10', release: 'Fedora 10', issued: '2008-12-09T11:31:26Z', issued_raw: '2008-12-09 11:31:26', description: 'An example update to the tour package.', reboot_suggested: 1 }))
      t.strictSame(refs(db, 'FEDORA-2008-9969'), [['bugzilla', '472090', 'https://bugzilla.redhat.com/show_bug.cgi?id=472090', '/etc/init.d/clvmd points to /usr/sbin for LVM tools'], ['cve', '472091', 'https://bugzilla.gnome.com/show_bug.cgi?id=472091', 'CVE DATA']])
      t.strictSame(packages(db, 'FEDORA-2008-9969'), [pkg('tour', '0', '4', '7', 'noarch', { src: 'http:///tour.noarch.rpm', filename: 'tour.noarch.rpm', reboot: 1 })])
      t.strictSame(advisory(db, 'BEATLES-1967-1127'), row({ type: 'security', status: 'stable', version: '1.4', from_address: 'updates@example.com', title: 'Magical Mystery Tour', release: 'Beatles collection', issued: '2012-01-23T01:23:45Z', issued_raw: '2012-01-23 01:23:45', description: 'An importent update to Beatles songs.', reboot_suggested: 1 }))
      t.equal(refs(db, 'BEATLES-1967-1127').length, 5)
      t.strictSame(refs(db, 'BEATLES-1967-1127')[4], ['cve', 'CVE-1967-BEATLES', 'https://www.redhat.com/security/data/cve/CVE-1967-BEATLES', 'CVE 1967 BEATLES'])
      t.strictSame(cves(db, 'BEATLES-1967-1127'), [], 'CVE-1967-BEATLES is no CVE id')
      t.strictSame(packages(db, 'BEATLES-1967-1127'), [
        pkg('mystery-devel', '0', '19.67', '1', 'noarch', { src: 'http:///mystery.src.rpm', filename: 'mystery-devel-19.67-1.noarch.rpm', reboot: 0 }),
        pkg('tour', '0', '4', '6', 'noarch', { src: 'http:///tour.src.rpm', filename: 'tour-4-6.noarch.rpm', reboot: 1 })
      ], '<reboot_suggested>False</reboot_suggested> is false, True is true')
    }
  },
  'libzypp__opensuse-11.0_Delta_updateinfo.xml': {
    added: 14,
    check: (t, { db }) => {
      const suse = { status: 'stable', from_address: 'maint-coord@suse.de', version: '11.0', release: 'openSUSE 11.0' }
      t.strictSame(advisory(db, 'SuSEfirewall2-5'), row({ ...suse, type: 'recommended', title: 'problem handling ICMP packets', issued: '2008-04-22T23:30:02Z', issued_raw: '1208907002', description: "SuSEfirewall2 didn't accept certain ICMP packets anymore\nwhich resulted in timeouts." }))
      t.strictSame(refs(db, 'SuSEfirewall2-5'), [['bugzilla', '382004', 'https://bugzilla.novell.com/show_bug.cgi?id=382004', 'bug number 382004']])
      t.strictSame(collections(db, 'SuSEfirewall2-5'), [{ short: null, name: null, modules: [] }])
      t.strictSame(packages(db, 'SuSEfirewall2-5'), [pkg('SuSEfirewall2', '0', '3.6_SVNr195', '2', 'noarch', { filename: 'SuSEfirewall2-3.6_SVNr195-2.noarch.rpm' })])
      t.strictSame(advisory(db, 'libsatsolver-14'), row({ ...suse, type: 'recommended', title: 'openSUSE beta3 package management stack fixes', issued: '2008-05-15T12:07:39Z', issued_raw: '1210853259', description: 'Updates to the package management stack which fixes lot of\nissues.\n\nbnc#389744: missing icons in "symbols help" dialog\nbnc#381970: fix pattern selector unreadable font\nbnc#380356: show satisfied non-packages (patches, patterns)\nas installed fix issue wth satisfied patterns shown as\nnon-satisfied fix issue where visible patterns are threated\nas invisible, and therefore not shown.\n\nThe update consist in the following package versions:\n\nlibzypp 4.21.3 satsolver-tools 0.33 yast2-qt-pkg 2.16.43' }), 'restart_suggested does not make reboot_suggested')
      t.strictSame(packages(db, 'libsatsolver-14')[0], pkg('libzypp', '0', '4.21.3', '2', 'i586', { filename: 'libzypp-4.21.3-2.i586.rpm', restart: 1 }))
      t.strictSame(readRows(db, 'SELECT x.reboot_suggested AS reboot, x.restart_suggested AS restart, count(*) AS n FROM advisory_package x JOIN advisory a ON a.pk = x.advisory_pk GROUP BY 1, 2 ORDER BY 1, 2'), [{ reboot: 0, restart: 0, n: 189 }, { reboot: 0, restart: 1, n: 7 }, { reboot: 1, restart: 0, n: 37 }], '<reboot_suggested>1</…> and <restart_suggested>1</…> are true')
      t.strictSame(readRows(db, 'SELECT id FROM advisory WHERE reboot_suggested = 1 ORDER BY id'), [{ id: 'kernel-12' }, { id: 'kernel-4' }, { id: 'update-test-reboot-needed-7' }])
      t.strictSame(advisory(db, 'kernel-12'), row({ ...suse, type: 'security', title: 'Linux Kernel update', issued: '2008-05-08T03:08:34Z', issued_raw: '1210216114', description: 'This is a 11.0 Beta 2 Test kernel update.', reboot_suggested: 1 }))
      t.strictSame(readRows(db, 'SELECT type, count(*) AS n FROM advisory GROUP BY type ORDER BY type'), [{ type: 'optional', n: 1 }, { type: 'recommended', n: 10 }, { type: 'security', n: 3 }])
      t.equal(count(db, 'SELECT count(*) AS n FROM advisory_package'), 233)
      t.equal(count(db, "SELECT count(*) AS n FROM advisory_package WHERE epoch = '0'"), 233, 'no epoch attribute anywhere: 0')
      t.strictSame(cves(db, 'clamav-3'), [], 'CVE ids only in the description are not collected')
    }
  },
  'pulp-fixtures__assets-modularity_updateinfo.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'FEDORA-2019-0329090518'
      t.strictSame(advisory(db, id), row({ type: 'enhancement', status: 'final', version: '3', from_address: 'secresponseteam@foo.bar', title: 'glibc bug fix', issued: '2019-03-29T00:00:00Z', issued_raw: '2019-03-29 00:00:00', updated: '2019-03-29T00:00:00Z', updated_raw: '2019-03-29 00:00:00', severity_raw: 'none', summary: 'summary_1', description: 'Enhance some stuff', reboot_suggested: 1 }))
      t.strictSame(collections(db, id), [
        { short: 'postgresql collection', name: 'postgresql component', modules: [['postgresql', '9.6', '20180816142114', '6c81f848', 'x86_64']] },
        { short: 'nodejs collection', name: 'nodejs component', modules: [['nodejs', '8', '20180801080000', '6c81f848', 'x86_64']] }
      ])
      t.strictSame(packages(db, id), [
        pkg('postgresql', '0', '9.6.8', '1.module_1710+b535a823', 'x86_64', { src: 'https://www.postgresql.org/', filename: 'postgresql-9.6.8-1.module_1710+b535a823.x86_64.rpm', reboot: 1 }),
        pkg('nodejs', '1', '8.11.4', '1.module_2030+42747d40', 'x86_64', { coll: 1, src: 'http://nodejs.org/', filename: 'nodejs-8.11.4-1.module_2030+42747d40.x86_64.rpm' })
      ])
    }
  },
  'pulp-fixtures__assets-srpm_updateinfo.xml': {
    added: 2,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'RHEA-2012:0023'), row({ ...pulpBase, title: 'Bird_Erratum', issued: '2016-01-27T16:08:08Z', issued_raw: '2016-01-27 16:08:08', updated: '2016-02-27T17:00:00Z', updated_raw: '2016-02-27 17:00:00', description: 'test_Erratum_2' }))
      t.strictSame(packages(db, 'RHEA-2012:0023'), [
        pkg('test-srpm02', '0', '1.0', '1', 'src', { src: fedora, filename: 'test-srpm02-1.0-1.src.rpm' }),
        pkg('test-srpm03', '0', '1.0', '2', 'src', { src: fedora, filename: 'test-srpm03-1.0-1.src.rpm' })
      ])
      t.strictSame(packages(db, 'RHEA-2012:0022').map(nevra), ['test-srpm01-0:1.0-1.src'])
    }
  },
  'pulp-fixtures__assets_updateinfo+advisory-no-update-date.patch.xml': {
    added: 4,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'RHEA-2012:0056'), row({ ...pulpBase, title: 'Bird_Erratum', issued: '2013-01-27T16:08:08Z', issued_raw: '2013-01-27 16:08:08', description: 'ParthaBird_Erratum' }), 'no <updated>')
      t.strictSame(packages(db, 'RHEA-2012:0056').map(nevra), ['crow-0:0.8-1.noarch', 'stork-0:0.12-2.noarch', 'duck-0:0.6-1.noarch'])
      t.hasStrict(advisory(db, 'RHEA-2012:0057'), { issued: '2013-01-27T16:08:05Z', updated: '2013-01-27T16:08:05Z', updated_raw: '2013-01-27 16:08:05 UTC' })
    }
  },
  'pulp-fixtures__assets_updateinfo+invalid-updateinfo.patch.xml': {
    added: 4,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'RHEA-2012:0055'), pulpSea({ updated: '2012-01-27T16:08:06Z', updated_raw: '2012-01-27 16:08:06 CEST' }), "' CEST' read as UTC, raw kept")
      t.hasStrict(advisory(db, 'RHEA-2012:0056'), { updated: '2013-02-27T17:00:00Z', updated_raw: '2013-02-27 17:00' }, 'no seconds')
      t.hasStrict(advisory(db, 'RHEA-2012:0057'), { issued: '2013-01-27T16:08:05Z', updated: '2013-01-27T00:00:00Z', updated_raw: '2013-01-27' }, 'date only')
      t.hasStrict(advisory(db, 'RHEA-2012:0058'), { type: 'enhancement', updated: '2015-01-01T00:00:00Z', updated_raw: '2015-01-01 00:00:00 UTC', description: 'Updated Gorilla_Erratum' })
    }
  },
  'pulp-fixtures__assets_updateinfo+references-updateinfo.patch.xml': {
    added: 4,
    check: (t, { db }) => {
      t.strictSame(refs(db, 'RHEA-2012:0055'), [
        ['bugzilla', '1364920', 'https://bugzilla.redhat.com/show_bug.cgi?id=1364920', 'links: Unix domain sockets shared between anonymous and non-anonymous instances'],
        ['bugzilla', '1352033', 'https://bugzilla.redhat.com/show_bug.cgi?id=1352033', 'links-2.13 is available']
      ])
      t.strictSame(refs(db, 'RHEA-2012:0056'), [['bugzilla', '1191235', 'https://bugzilla.redhat.com/show_bug.cgi?id=1191235', 'Please add python-celery to EPEL7 build']])
      t.strictSame(refs(db, 'RHEA-2012:0057'), [], '<references/>')
      t.strictSame(refs(db, 'RHEA-2012:0058'), [], 'no <references>')
      t.strictSame(advisory(db, 'RHEA-2012:0055'), pulpSea())
    }
  },
  'pulp-fixtures__assets_updateinfo+rpm-string-version-updateinfo.patch.xml': {
    added: 4,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'RHEA-2012:0055'), pulpSea({ version: '1-25', release: 'PROFTPD-CHROOT' }))
      t.strictSame(readRows(db, 'SELECT DISTINCT version, release FROM advisory'), [{ version: '1-25', release: 'PROFTPD-CHROOT' }])
    }
  },
  'pulp-fixtures__assets_updateinfo.xml': {
    added: 4,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'RHEA-2012:0055'), pulpSea())
      t.strictSame(packages(db, 'RHEA-2012:0055').map(nevra), seaPackages)
      t.strictSame(packages(db, 'RHEA-2012:0058'), [pkg('gorilla', '0', '0.62', '1', 'noarch', { src: fedora, filename: 'gorilla-0.62-1.noarch.rpm' })])
      t.strictSame(readRows(db, 'SELECT id, type FROM advisory ORDER BY id').map((r) => r.type), ['security', 'security', 'security', 'enhancement'])
    }
  },
  'vuln-list-update__amazon_updateinfo_1_item.xml': {
    added: 1,
    check: (t, { db }) => {
      const got = advisory(db, 'ALAS2-2018-939')
      t.strictSame({ ...got, description: '(below)' }, row({ ...amazon, title: 'Amazon Linux 2 2017.12 - ALAS2-2018-939: critical priority package update for kernel', issued: '2018-01-11T21:05:00Z', issued_raw: '2018-01-11 21:05', updated: '2018-01-16T01:28:00Z', updated_raw: '2018-01-16 01:28', severity: 'critical', severity_raw: 'critical', description: '(below)' }))
      const description = String(got?.description)
      t.ok(description.startsWith('Package updates are available for Amazon Linux 2 that fix the following vulnerabilities:\nCVE-2017-5754:\n\t1519781: \nCVE-2017-5754 hw: cpu: speculative execution permission faults handling\n'))
      t.ok(description.includes("memory accesses may cause allocation into the microprocessor's data cache"), '&amp;#039; is an apostrophe')
      t.ok(description.includes('AMD x86-64 microprocessors are not affected by this issue.\n\nCVE-2017-5715:\n\tAn industry-wide'), 'paragraphs kept')
      t.ok(description.endsWith('1519780: \nCVE-2017-5715 hw: cpu: speculative execution branch target injection'), 'trailing newline dropped')
      t.strictSame(refs(db, 'ALAS2-2018-939'), [cveRef('CVE-2017-5754'), cveRef('CVE-2017-5715')])
      t.strictSame(cves(db, 'ALAS2-2018-939'), ['CVE-2017-5715', 'CVE-2017-5754'])
      const list = packages(db, 'ALAS2-2018-939')
      t.equal(list.length, 13)
      t.strictSame(list[0], pkg('kernel', '0', '4.9.76', '38.79.amzn2', 'x86_64', { filename: 'Packages/kernel-4.9.76-38.79.amzn2.x86_64.rpm' }))
      t.strictSame(list[12], pkg('kernel-doc', '0', '4.9.76', '38.79.amzn2', 'noarch', { filename: 'Packages/kernel-doc-4.9.76-38.79.amzn2.noarch.rpm' }))
    }
  },
  'vuln-list-update__amazon_updateinfo_2_items.xml': {
    added: 2,
    check: (t, { db }) => {
      t.strictSame(advisory(db, 'ALAS2-2018-942'), row({ ...amazon, title: 'Amazon Linux 2 2017.12 - ALAS2-2018-942: important priority package update for qemu-kvm', issued: '2018-02-07T18:49:00Z', issued_raw: '2018-02-07 18:49', updated: '2018-02-08T21:46:00Z', updated_raw: '2018-02-08 21:46', severity: 'important', severity_raw: 'important', description: "Package updates are available for Amazon Linux 2 that fix the following vulnerabilities:\nCVE-2017-5715:\n\tAn industry-wide issue was found in the way many modern microprocessor designs have implemented speculative execution of instructions (a commonly used performance optimization). There are three primary variants of the issue which differ in the way the speculative execution can be exploited. Variant CVE-2017-5715 triggers the speculative execution by utilizing branch target injection. It relies on the presence of a precisely-defined instruction sequence in the privileged code as well as the fact that memory accesses may cause allocation into the microprocessor's data cache even for speculatively executed instructions that never actually commit (retire). As a result, an unprivileged attacker could use this flaw to cross the syscall and guest/host boundaries and read privileged memory by conducting targeted cache side-channel attacks.\n1519780: \nCVE-2017-5715 hw: cpu: speculative execution branch target injection" }))
      t.strictSame(refs(db, 'ALAS2-2018-942'), [cveRef('CVE-2017-5715')])
      t.strictSame(cves(db, 'ALAS2-2018-942'), ['CVE-2017-5715'])
      t.strictSame(collections(db, 'ALAS2-2018-942'), [{ short: 'amazon-linux-2', name: 'Amazon Linux 2', modules: [] }])
      t.strictSame(packages(db, 'ALAS2-2018-942').map(nevra), ['qemu-kvm', 'qemu-img', 'qemu-kvm-common', 'qemu-kvm-tools', 'qemu-kvm-debuginfo'].map((n) => `${n}-10:1.5.3-141.amzn2.5.3.x86_64`), 'epoch 10')
      t.strictSame(packages(db, 'ALAS2-2018-942')[1], pkg('qemu-img', '10', '1.5.3', '141.amzn2.5.3', 'x86_64', { filename: 'Packages/qemu-img-1.5.3-141.amzn2.5.3.x86_64.rpm' }))
      const ids = ['2677', '2599', '2603', '2579', '2678', '2634', '2582', '2602', '2629', '2618', '2633', '2588', '2641', '2637', '2663'].map((n) => `CVE-2018-${n}`)
      t.strictSame(refs(db, 'ALAS2-2018-949'), ids.map(cveRef), 'references in file order')
      t.strictSame(cves(db, 'ALAS2-2018-949'), [...ids].sort())
      t.hasStrict(advisory(db, 'ALAS2-2018-949'), { issued: '2018-02-07T17:47:00Z', updated: '2018-02-08T21:45:00Z', severity: 'important', title: 'Amazon Linux 2 2017.12 - ALAS2-2018-949: important priority package update for java-1.8.0-openjdk' })
      const java = packages(db, 'ALAS2-2018-949')
      t.equal(java.length, 17)
      t.strictSame(java[10], pkg('java-1.8.0-openjdk-javadoc', '1', '1.8.0.161', '0.b14.amzn2', 'noarch', { filename: 'Packages/java-1.8.0-openjdk-javadoc-1.8.0.161-0.b14.amzn2.noarch.rpm' }))
      t.equal(nevra(java[16]!), 'java-1.8.0-openjdk-debuginfo-1:1.8.0.161-0.b14.amzn2.x86_64')
    }
  },
  'vuln-list-update__amazon_updateinfo_AL2022.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'ALAS2022-2021-001'
      t.hasStrict(advisory(db, id), { ...amazon, title: 'Amazon Linux 2022 - ALAS2022-2021-001: medium priority package update for vim', issued: '2021-10-26T02:25:00Z', issued_raw: '2021-10-26 02:25', updated: '2021-10-27T00:24:00Z', updated_raw: '2021-10-27 00:24', severity: 'medium', severity_raw: 'medium', reboot_suggested: 0 })
      t.match(advisory(db, id)?.description, /^Package updates are available for Amazon Linux 2022 that fix the following vulnerabilities:\nCVE-2021-3875:\n\tThere's an out-of-bounds read flaw in Vim's ex_docmd\.c\./)
      t.match(advisory(db, id)?.description, /\n2004621: CVE-2021-3778 vim: heap-based buffer overflow in utf_ptr2char\(\) in mbyte\.c$/)
      t.strictSame(refs(db, id), ['CVE-2021-3778', 'CVE-2021-3796', 'CVE-2021-3872', 'CVE-2021-3875'].map(cveRef))
      t.strictSame(cves(db, id), ['CVE-2021-3778', 'CVE-2021-3796', 'CVE-2021-3872', 'CVE-2021-3875'])
      const list = packages(db, id)
      t.equal(list.length, 32)
      t.strictSame(list[0], pkg('vim-X11-debuginfo', '2', '8.2.3512', '1.amzn2022', 'x86_64', { filename: 'Packages/vim-X11-debuginfo-8.2.3512-1.amzn2022.x86_64.rpm' }))
      t.equal(nevra(list[31]!), 'vim-common-2:8.2.3512-1.amzn2022.aarch64')
    }
  },
  'vuln-list-update__amazon_updateinfo_AL2023.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'ALAS2023-2023-001'
      t.strictSame(advisory(db, id), row({ ...amazon, title: 'Amazon Linux 2023 - ALAS2023-2023-001: Important priority package update for rsyslog', issued: '2023-02-17T20:41:00Z', issued_raw: '2023-02-17 20:41', updated: '2023-02-22T23:22:00Z', updated_raw: '2023-02-22 23:22', severity: 'important', severity_raw: 'Important', description: "Package updates are available for Amazon Linux 2023 that fix the following vulnerabilities:\nCVE-2022-24903:\n\tA flaw was found in rsyslog's reception TCP modules. This flaw allows an attacker to craft a malicious message leading to a heap-based buffer overflow. This issue allows the attacker to corrupt or access data stored in memory, leading to a denial of service in the rsyslog or possible remote code execution.\n\nCVE-2014-3634:\n\tA flaw was found in the way rsyslog handled invalid log message priority values. In certain configurations, a local attacker, or a remote attacker able to connect to the rsyslog port, could use this flaw to crash the rsyslog daemon or, potentially in rsyslog 7.x, execute arbitrary code as the user running the rsyslog daemon." }))
      t.strictSame(refs(db, id), [cveRef('CVE-2014-3634'), cveRef('CVE-2022-24903')])
      t.strictSame(cves(db, id), ['CVE-2014-3634', 'CVE-2022-24903'])
      t.strictSame(collections(db, id), [{ short: 'amazon-linux-2023', name: 'Amazon Linux 2023', modules: [] }])
      const list = packages(db, id)
      t.equal(list.length, 61)
      t.strictSame(list[0], pkg('rsyslog-mmfields-debuginfo', '0', '8.2204.0', '3.amzn2023.0.2', 'x86_64', { filename: 'Packages/rsyslog-mmfields-debuginfo-8.2204.0-3.amzn2023.0.2.x86_64.rpm' }))
      t.strictSame(list[60], pkg('rsyslog-debuginfo', '0', '8.2204.0', '3.amzn2023.0.2', 'aarch64', { filename: 'Packages/rsyslog-debuginfo-8.2204.0-3.amzn2023.0.2.aarch64.rpm' }))
      t.strictSame(readRows(db, 'SELECT arch, count(*) AS n FROM advisory_package GROUP BY arch ORDER BY arch'), [{ arch: 'aarch64', n: 20 }, { arch: 'i686', n: 20 }, { arch: 'noarch', n: 1 }, { arch: 'x86_64', n: 20 }])
    }
  },
  'vuln-list-update__bottlerocket_updateinfo.xml': {
    added: 2,
    check: (t, { db }) => {
      const id = 'BRSA-1bwujdrkn6nc'
      t.strictSame(advisory(db, id), row({ type: 'security', status: 'final', version: '1.4', from_address: 'dhwanise', author: 'dhwanise', title: 'kernel CVE-2024-43840', issued: '2025-06-11T19:52:52Z', issued_raw: '2025-06-11T19:52:52Z', updated: '2025-06-11T19:52:52Z', updated_raw: '2025-06-11T19:52:52Z', severity: 'medium', severity_raw: 'medium', description: 'In the Linux kernel, the following vulnerability has been resolved: bpf, arm64: Fix trampoline for BPF_TRAMP_F_CALL_ORIG' }))
      t.strictSame(refs(db, id), [cveRef('CVE-2024-43840'), ['brsa', id, `https://github.com/bottlerocket-os/bottlerocket-kernel-kit/blob/develop/advisories/3.1.0/${id}.toml`, null]])
      t.strictSame(cves(db, id), ['CVE-2024-43840'])
      t.strictSame(collections(db, id), [{ short: 'bottlerocket', name: 'Bottlerocket', modules: [] }])
      const release = '1.1749663821.e27d1b03.br1'
      t.strictSame(packages(db, id), [pkg('kernel-6.1', '0', '6.1.140', release, 'x86_64'), pkg('bottlerocket-kernel-6.1', '0', '6.1.140', release, 'x86_64'), pkg('kernel-6.1', '0', '6.1.140', release, 'aarch64'), pkg('bottlerocket-kernel-6.1', '0', '6.1.140', release, 'aarch64')], 'no <filename>, no src')
      t.hasStrict(advisory(db, 'BRSA-kdg8bd1th2gb'), { author: 'kssessio', title: 'glibc CVE-2025-15281', issued: '2026-03-17T16:22:44Z', updated: '2026-03-17T16:22:44Z' })
      t.strictSame(cves(db, 'BRSA-kdg8bd1th2gb'), ['CVE-2025-15281'])
      t.equal(nevra(packages(db, 'BRSA-kdg8bd1th2gb')[0]!), 'glibc-1:2.43-1.1773716061.e2e9d7a9.br1.x86_64')
    }
  },
  'vuln-list-update__rocky_happy_updateinfo.xml': {
    added: 4,
    check: (t, { db }) => {
      const rocky = { status: 'final', version: '2', from_address: 'releng@rockylinux.org', release: 'Rocky Linux 8', pushcount: '1' }
      t.strictSame(advisory(db, 'RLBA-2021:2580'), row({ ...rocky, type: 'bugfix', title: 'firewalld bug fix and enhancement update', issued: '2021-07-22T18:25:24Z', issued_raw: '2021-07-22 18:25:24', updated: '2021-06-29T00:00:00Z', updated_raw: '2021-06-29 00:00:00', rights: 'Copyright (C) 2021 Rocky Enterprise Software Foundation', severity: null, severity_raw: 'None', summary: 'An update for firewalld is now available for Rocky Linux 8.', description: 'For more information visit https://errata.rockylinux.org/RLBA-2021:2580' }), 'updated earlier than issued is kept')
      t.strictSame(refs(db, 'RLBA-2021:2580'), [['erratum', 'RHBA-2021:2580', 'https://access.redhat.com/errata/RHBA-2021:2580', 'Update information for RHBA-2021:2580 is retrieved from Red Hat']])
      t.strictSame(cves(db, 'RLBA-2021:2580'), [])
      t.strictSame(packages(db, 'RLBA-2021:2580')[1], pkg('firewalld', '0', '0.8.2', '7.el8_4', 'noarch', { src: 'firewalld-0.8.2-7.el8_4.src.rpm', filename: 'firewalld-0.8.2-7.el8_4.noarch.rpm', sum_type: 'sha256', sum: 'df084b00f05c91c50e048ee20ce31705f8bc9b87b80fa2e352d53784acb672ff' }))
      t.strictSame(cves(db, 'RLSA-2021:3057'), ['CVE-2021-22543', 'CVE-2021-22555', 'CVE-2021-3609'])
      const id = 'RLSA-2019:1972'
      t.strictSame(advisory(db, id), row({ ...rocky, type: 'security', title: 'Important: ruby:2.5 security update', issued: '2019-07-30T11:16:25Z', issued_raw: '2019-07-30 11:16:25', updated: '2023-02-02T12:55:31Z', updated_raw: '2023-02-02 12:55:31', rights: 'Copyright 2025 Rocky Enterprise Software Foundation', severity: 'important', severity_raw: 'Important', summary: 'An update is available for rubygem-bson, rubygem-mysql2, rubygem-bundler, rubygem-mongo, rubygem-pg, rubygem-abrt.\nThis update affects Rocky Linux 8.\nA Common Vulnerability Scoring System (CVSS) base score, which gives a detailed severity rating, is available for each vulnerability from the CVE list', description: 'Ruby is an extensible, interpreted, object-oriented, scripting language. It has features to process text files and to perform system management tasks.\n\nSecurity Fix(es):\n\n* rubygems: Installing a malicious gem may lead to arbitrary code execution (CVE-2019-8324)\n\nFor more details about the security issue(s), including the impact, a CVSS score, acknowledgments, and other related information, refer to the CVE page(s) listed in the References section.', solution: null }), '<solution /> is NULL')
      t.strictSame(refs(db, id), [['cve', 'CVE-2019-8324', 'https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2019-8324', 'CVE-2019-8324'], ['bugzilla', '1692520', 'https://bugzilla.redhat.com/show_bug.cgi?id=1692520', null], ['self', id, `https://errata.rockylinux.org/${id}`, id]])
      t.strictSame(cves(db, id), ['CVE-2019-8324'])
      t.strictSame(collections(db, id), [{ short: 'none-appstream-rpms__ruby', name: 'none-appstream-rpms__ruby', modules: [['ruby', '2.6', '8060020220628150300', 'd63f516d', 'x86_64']] }], 'module version above 2^53 kept exactly')
      t.equal(count(db, "SELECT count(*) AS n FROM advisory_module WHERE typeof(version) = 'text' AND version = '8060020220628150300'"), 1)
      t.strictSame(packages(db, id), [
        pkg('rubygem-abrt', '0', '0.3.0', '4.module+el8.5.0+738+032c9c02', 'noarch', { src: 'rubygem-abrt-0.3.0-4.module+el8.5.0+738+032c9c02.src.rpm', filename: 'rubygem-abrt-0.3.0-4.module+el8.5.0+738+032c9c02.noarch.rpm', sum_type: 'sha256', sum: '8f3ae24bd13476e23dda98793443bc37e5b6248daf59f00c501d022a18a6b587' }),
        pkg('rubygem-bson', '0', '4.3.0', '2.module+el8.4.0+592+03ff458a', 'x86_64', { src: 'rubygem-bson-4.3.0-2.module+el8.4.0+592+03ff458a.src.rpm', filename: 'rubygem-bson-4.3.0-2.module+el8.4.0+592+03ff458a.x86_64.rpm', sum_type: 'sha256', sum: '716796875e0868a929b33f6dbf31b15a517a61be8fc6dc5feabbe2b9658db9f3' })
      ])
    }
  },
  'vuls-data-update__alma_updateinfo_happy_almalinux_9_AppStream_updateinfo.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'ALSA-2023:7549'
      t.strictSame(advisory(db, id), row({ type: 'security', status: 'final', version: '1', from_address: 'packager@almalinux.org', title: 'Moderate: nodejs security update', issued: '2023-11-28T00:00:00Z', issued_raw: '2023-11-28 00:00:00', updated: '2023-11-28T00:00:00Z', updated_raw: '2023-11-28 00:00:00', rights: 'Copyright 2023 AlmaLinux OS', release: '0', pushcount: '1', severity: 'moderate', severity_raw: 'Moderate', summary: 'nodejs security update', description: 'Node.js is a software development platform for building fast and scalable network applications.', solution: 'Refer to https://access.redhat.com/articles/11258' }))
      t.strictSame(refs(db, id), [['rhsa', 'RHSA-2023:7549', 'https://access.redhat.com/errata/RHSA-2023:7549', 'RHSA-2023:7549'], ['cve', 'CVE-2023-44487', 'https://access.redhat.com/security/cve/CVE-2023-44487', 'CVE-2023-44487'], ['self', id, 'https://errata.almalinux.org/9/ALSA-2023-7549.html', id]])
      t.strictSame(cves(db, id), ['CVE-2023-44487'])
      t.strictSame(collections(db, id), [{ short: 'almalinux-9-for-x86_64-appstream-rpms__9_default', name: 'almalinux-9-for-x86_64-appstream-rpms__9_default', modules: [] }])
      t.strictSame(packages(db, id), [pkg('nodejs', '1', '18.18.2', '1.el9', 'x86_64', { src: 'nodejs-18.18.2-1.el9.src.rpm', filename: 'nodejs-18.18.2-1.el9.x86_64.rpm', sum_type: 'sha256', sum: 'cafebabe0000000000000000000000000000000000000000000000000000abcd' })])
    }
  },
  'vuls-data-update__alma_updateinfo_happy_almalinux_9_BaseOS_updateinfo.xml': {
    added: 2,
    check: (t, { db }) => {
      t.hasStrict(advisory(db, 'ALSA-2022:4940'), { severity: 'important', severity_raw: 'Important', issued: '2022-06-08T00:00:00Z', updated: '2023-03-07T17:32:16Z', updated_raw: '2023-03-07 17:32:16', solution: 'For details on how to apply this update, refer to: https://access.redhat.com/articles/11258' })
      t.strictSame(cves(db, 'ALSA-2022:4940'), ['CVE-2022-1271'])
      t.strictSame(advisory(db, 'ALBA-2023:0123'), row({ type: 'bugfix', status: 'final', version: '1', from_address: 'packager@almalinux.org', title: 'curl bugfix update', issued: '2023-01-10T00:00:00Z', issued_raw: '2023-01-10 00:00:00', updated: '2023-01-10T00:00:00Z', updated_raw: '2023-01-10 00:00:00', release: '0', pushcount: '1', severity: null, severity_raw: 'None', summary: 'curl bugfix update', description: 'curl bugfix update description.' }))
      t.strictSame(refs(db, 'ALBA-2023:0123'), [['self', 'ALBA-2023:0123', 'https://errata.almalinux.org/9/ALBA-2023-0123.html', 'ALBA-2023:0123']])
      t.strictSame(packages(db, 'ALBA-2023:0123'), [pkg('curl', '0', '7.76.1', '23.el9', 'x86_64', { src: 'curl-7.76.1-23.el9.src.rpm', filename: 'curl-7.76.1-23.el9.x86_64.rpm', sum_type: 'sha256', sum: 'deadbeef00000000000000000000000000000000000000000000000000000000' })])
    }
  },
  'vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_updateinfo.xml': {
    added: 1,
    check: (t, { db }) => {
      const id = 'FEDORA-2025-4a08954c02'
      t.strictSame(advisory(db, id), row({ type: 'bugfix', status: 'stable', version: '2.0', from_address: 'updates@fedoraproject.org', title: 'python-boto3-1.42.0-1.fc43 python-botocore-1.41.6-1.fc43 python-s3transfer-0.16.0-1.fc43', issued: '2025-12-01T18:15:47Z', issued_raw: '2025-12-01 18:15:47', updated: '2025-12-03T00:52:00Z', updated_raw: '2025-12-03 00:52:00', rights: 'Copyright (C) 2026 Red Hat, Inc. and others.', release: 'Fedora 43', severity: 'low', severity_raw: 'Low', summary: 'python-boto3-1.42.0-1.fc43 python-botocore-1.41.6-1.fc43 python-s3transfer-0.16.0-1.fc43 bugfix update', description: 'Latest updates.' }))
      t.strictSame(refs(db, id), [])
      t.strictSame(collections(db, id), [{ short: 'F43', name: 'Fedora 43', modules: [] }])
      const list = packages(db, id)
      t.strictSame(list.map(nevra), ['python-boto3-0:1.42.0-1.fc43.src', 'python3-boto3-0:1.42.0-1.fc43.noarch', 'python-botocore-0:1.41.6-1.fc43.src', 'python3-botocore-0:1.41.6-1.fc43.noarch', 'python-s3transfer-0:0.16.0-1.fc43.src', 'python3-s3transfer-0:0.16.0-1.fc43.noarch'])
      t.strictSame(list[1], pkg('python3-boto3', '0', '1.42.0', '1.fc43', 'noarch', { src: 'https://download.fedoraproject.org/pub/fedora/linux/updates/43/i386/p/python3-boto3-1.42.0-1.fc43.noarch.rpm', filename: 'python3-boto3-1.42.0-1.fc43.noarch.rpm' }), 'src is a URL')
    }
  }
}

t.test('every updateinfo fixture is listed here', async (t) => {
  t.strictSame(readdirSync(dir).sort(), Object.keys(fixtures).sort())
})

for (const [file, fixture] of Object.entries(fixtures)) {
  t.test(file, async (t) => {
    const got = await ingest(t, readFileSync(join(dir, file)))
    t.equal(got.result.status, 'ok', 'the file is not failed')
    t.equal(got.result.error, null)
    t.equal(got.result.added, fixture.added, 'advisories added')
    t.equal(got.result.skipped, fixture.skipped ?? 0, 'updates skipped')
    t.equal(got.result.warnings, fixture.warnings ?? 0, 'warnings counted')
    t.equal(count(got.db, "SELECT count(*) AS n FROM advisory WHERE product_id = 'test'"), fixture.added, 'advisories stored')
    fixture.check?.(t, got)
  })
}

t.test('derived: collections without packages are stored (allempty given an id; a module-only collection)', async (t) => {
  const allempty = readFileSync(join(dir, 'createrepo_c__updateinfo_02_allempty.xml'), 'utf8').replace('<update>', '<update><id>ALLEMPTY-1</id>')
  const got = await ingest(t, Buffer.from(allempty))
  t.strictSame([got.result.status, got.result.added, got.result.skipped, got.result.warnings], ['ok', 1, 0, 1])
  t.match(got.warnings[0], /ALLEMPTY-1: 1 package\(s\) without a name skipped/)
  t.strictSame(advisory(got.db, 'ALLEMPTY-1'), row({}), 'every field empty: all NULL')
  t.strictSame(refs(got.db, 'ALLEMPTY-1'), [[null, null, null, null]], 'an attribute-less <reference/> is kept')
  t.strictSame(collections(got.db, 'ALLEMPTY-1'), [{ short: null, name: null, modules: [] }])
  t.strictSame(packages(got.db, 'ALLEMPTY-1'), [])
  const modular = readFileSync(join(dir, 'pulp-fixtures__assets-modularity_updateinfo.xml'), 'utf8').replace(/<package name="nodejs"[\s\S]*?<\/package>/, '')
  const m = await ingest(t, Buffer.from(modular))
  t.strictSame(collections(m.db, 'FEDORA-2019-0329090518')[1], { short: 'nodejs collection', name: 'nodejs component', modules: [['nodejs', '8', '20180801080000', '6c81f848', 'x86_64']] })
  t.strictSame(packages(m.db, 'FEDORA-2019-0329090518').map(nevra), ['postgresql-0:9.6.8-1.module_1710+b535a823.x86_64'])
})
