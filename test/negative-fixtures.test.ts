// Files that must be refused: a good Amazon repo is ingested, then its updateinfo is replaced by a bad one
// (checksums in repomd.xml match, only the content is bad). The repo must fail with the URL and the cause,
// nothing may be written, and another product's repo in the same run must still be ingested.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readRows, snapshot } from './helpers/db.js'
import { fixturesDir, tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const fixture = (...path: string[]): Buffer => readFileSync(join(fixturesDir, ...path))
const amazonXml = fixture('updateinfo', 'vuln-list-update__amazon_updateinfo_2_items.xml')
const almaXml = fixture('updateinfo', 'vuls-data-update__alma_updateinfo_happy_almalinux_9_BaseOS_updateinfo.xml')
const spec = (productId: string, root: string): RepoSpec => ({ productId, productName: productId, url: root, kind: 'baseurl', baseurls: [root], name: null, allowedHosts: [] })

interface Bad {
  /** The decompressed content, for open-checksum/open-size; the stored bytes are the negative file. */
  open: Buffer
  stored: Buffer
  href: string
  /** What the error must say after "amzn repo <url>: ". */
  cause: (updateinfoUrl: string) => string | RegExp
}

const truncated = fixture('negative', 'vuln-list-update__amazon_updateinfo_invalid_truncated.xml')
const notGzip = fixture('negative', 'vuls-data-update__amazon__updateinfo_invalid_gzip.xml.gz')
const gzipOfNothing = fixture('negative', 'vuls-data-update__amazon__updateinfo_invalid_xml.xml.gz')
const goodGzip = gzipSync(amazonXml)
const badCrc = Buffer.from(goodGzip)
badCrc[badCrc.length - 8] = badCrc[badCrc.length - 8]! ^ 0xff // the CRC32 in the gzip trailer
const invalidUtf8 = Buffer.from(amazonXml.toString('latin1').replace('<title>', '<title>\xff\xfe'), 'latin1')

const cases: Record<string, Bad> = {
  // Real file: cut in the middle of the closing markup ("</update><" + newline), stored as plain .xml.
  'negative/vuln-list-update__amazon_updateinfo_invalid_truncated.xml': { open: truncated, stored: truncated, href: 'repodata/updateinfo.xml', cause: () => /^invalid XML: / },
  // Real file: plain XML named .gz.
  'negative/vuls-data-update__amazon__updateinfo_invalid_gzip.xml.gz': { open: notGzip, stored: notGzip, href: 'repodata/updateinfo.xml.gz', cause: (url) => `${url} is not compressed as its name claims: the name says gzip, the content is uncompressed` },
  // Real file: a valid gzip whose content is empty, so no root element.
  'negative/vuls-data-update__amazon__updateinfo_invalid_xml.xml.gz': { open: gunzipSync(gzipOfNothing), stored: gzipOfNothing, href: 'repodata/updateinfo.xml.gz', cause: () => /^invalid XML: \d+:\d+: document must contain a root element\.$/ },
  // Derived: the same truncated XML, gzip-compressed (a sound gzip of bad XML is not "corrupt gzip").
  'derived: gzip of the truncated XML': { open: truncated, stored: gzipSync(truncated), href: 'repodata/updateinfo.xml.gz', cause: () => /^invalid XML: / },
  // Derived: invalid UTF-8 inside the good file (XmlTextError, thrown from the same consumer).
  'derived: invalid UTF-8 bytes in a text node': { open: invalidUtf8, stored: gzipSync(invalidUtf8), href: 'repodata/updateinfo.xml.gz', cause: () => /^invalid UTF-8 in the bytes after offset \d+$/ },
  // Derived: a gzip CRC error only shows at the end of the stream.
  'derived: good gzip with a wrong CRC32': { open: amazonXml, stored: badCrc, href: 'repodata/updateinfo.xml.gz', cause: () => 'gzip data is corrupt or truncated: incorrect data check' },
  'derived: good gzip cut short': { open: amazonXml, stored: goodGzip.subarray(0, goodGzip.length - 200), href: 'repodata/updateinfo.xml.gz', cause: () => 'gzip data is corrupt or truncated: unexpected end of file' }
}

/** Ingests amzn (good) + alma, returns the paths and the snapshot after that first run. */
async function ingestGood (t: Test): Promise<{ db: string, amzn: string, alma: string, amznChecksum: string, almaChecksum: string, before: string }> {
  const tmp = tempDir(t)
  const db = join(tmp, 'db.sqlite')
  const amzn = join(tmp, 'amzn')
  const alma = join(tmp, 'alma')
  const amznChecksum = writeRepo(amzn, amazonXml).checksum
  const almaChecksum = writeRepo(alma, almaXml).checksum
  const first = await runIngest({ dbPath: db, repos: [spec('amzn', amzn), spec('alma', alma)] })
  t.strictSame(first.repos.map((r) => [r.product, r.status, r.added]), [['amzn', 'ok', 2], ['alma', 'ok', 2]], 'first run ingests both')
  return { db, amzn, alma, amznChecksum, almaChecksum, before: snapshot(db) }
}

for (const [name, bad] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const { db, amzn, alma, amznChecksum, before } = await ingestGood(t)
    writeRepo(amzn, bad.open, { stored: bad.stored, href: bad.href })
    // alma is republished with other gzip bytes but the same content: it is read again, not skipped.
    const almaChecksum = writeRepo(alma, almaXml, { stored: gzipSync(almaXml, { level: 1 }) }).checksum
    const second = await runIngest({ dbPath: db, repos: [spec('amzn', amzn), spec('alma', alma)] })
    const [failed, other] = second.repos

    t.equal(failed?.status, 'failed')
    t.strictSame([failed?.added, failed?.changed, failed?.withdrawn, failed?.checksum], [0, 0, 0, null])
    const prefix = `amzn repo ${amzn}: `
    t.equal(failed?.error?.slice(0, prefix.length), prefix, 'the error names the product and the repo URL')
    const cause = bad.cause(pathToFileURL(join(amzn, bad.href)).href)
    const rest = failed?.error?.slice(prefix.length) ?? ''
    if (typeof cause === 'string') t.equal(rest, cause, 'the cause')
    else t.match(rest, cause, 'the cause')

    t.equal(snapshot(db), before, 'nothing written: every advisory table is as before')
    t.strictSame(other, { product: 'alma', url: alma, status: 'ok', added: 0, changed: 0, unchanged: 2, withdrawn: 0, skipped: 0, error: null, checksum: almaChecksum, warnings: 0 }, 'the other product is still ingested')
    t.strictSame(readRows(db, 'SELECT product_id, checksum, last_status, last_error FROM repo ORDER BY product_id'), [
      { product_id: 'alma', checksum: almaChecksum, last_status: 'ok', last_error: null },
      { product_id: 'amzn', checksum: amznChecksum, last_status: 'failed', last_error: failed?.error }
    ], 'amzn keeps the checksum of the last good file')
    t.strictSame(readRows(db, 'SELECT status FROM ingest_run ORDER BY id').map((r) => r.status), ['ok', 'failed'])
  })
}

t.test('a new product in the same run is added while the failing repo keeps all its rows', async (t) => {
  const { db, amzn } = await ingestGood(t)
  const amznRows = (): unknown => ['advisory', 'advisory_reference', 'advisory_cve', 'advisory_collection', 'advisory_package'].map((table) =>
    readRows(db, table === 'advisory'
      ? "SELECT * FROM advisory WHERE product_id = 'amzn' ORDER BY pk"
      : `SELECT x.* FROM ${table} x JOIN advisory a ON a.pk = x.advisory_pk WHERE a.product_id = 'amzn' ORDER BY 1, 2, 3`))
  const before = amznRows()
  writeRepo(amzn, notGzip, { stored: notGzip })
  const fedora = join(tempDir(t), 'fedora')
  writeRepo(fedora, fixture('updateinfo', 'vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_updateinfo.xml'))
  const second = await runIngest({ dbPath: db, repos: [spec('amzn', amzn), spec('fedora', fedora)] })
  t.strictSame(second.repos.map((r) => [r.product, r.status, r.added]), [['amzn', 'failed', 0], ['fedora', 'ok', 1]])
  t.strictSame(amznRows(), before)
  t.strictSame(readRows(db, 'SELECT product_id, id FROM advisory ORDER BY product_id, id').map((r) => `${String(r.product_id)} ${String(r.id)}`),
    ['alma ALBA-2023:0123', 'alma ALSA-2022:4940', 'amzn ALAS2-2018-942', 'amzn ALAS2-2018-949', 'fedora FEDORA-2025-4a08954c02'])
})

t.test('an <update> without id amid good ones is skipped with a counted warning; the rest is kept', async (t) => {
  const text = amazonXml.toString('utf8')
  const at = text.indexOf('</update>') + '</update>'.length
  const xml = `${text.slice(0, at)}<update type="security" status="final"><title>no id here</title><severity>low</severity></update>${text.slice(at)}`
  const line = text.slice(0, at).split('\n').length
  const tmp = tempDir(t)
  const root = join(tmp, 'amzn')
  writeRepo(root, xml)
  const warnings: string[] = []
  const db = join(tmp, 'db.sqlite')
  const summary = await runIngest({ dbPath: db, repos: [spec('amzn', root)], log: { info: () => {}, warn: (m) => { warnings.push(m) } } })
  t.strictSame(summary.repos[0], { product: 'amzn', url: root, status: 'ok', added: 2, changed: 0, unchanged: 0, withdrawn: 0, skipped: 1, error: null, checksum: summary.repos[0]?.checksum, warnings: 1 })
  t.strictSame(warnings, [`amzn ${pathToFileURL(root).href}/: an <update> without an id (line ${line}) was skipped`])
  t.strictSame(readRows(db, 'SELECT id FROM advisory ORDER BY id').map((r) => r.id), ['ALAS2-2018-942', 'ALAS2-2018-949'])
  t.strictSame(readRows(db, 'SELECT skipped, added FROM ingest_log'), [{ skipped: 1, added: 2 }])
  t.equal(readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM advisory_package')[0]?.n, 22, '5 + 17 packages')
})
