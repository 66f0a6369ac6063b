// Reading in a worker thread (ingest/worker-reader.ts, read-worker.ts), which large files take so that parsing
// overlaps writing: the same rows as reading on the main thread, the same errors (named as before, after the
// records read before them), and a failed repo still rolls back. readInWorkerFrom: 0 sends every file there;
// the other ingest tests use small files, which are read on the main thread.
import t from 'tap'
import { join } from 'node:path'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { snapshot } from './helpers/db.js'
import { tempDir } from './helpers/paths.js'
import { writeRepo } from './helpers/repo-builder.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

const spec = (productId: string, root: string): RepoSpec => ({ productId, productName: productId, url: root, kind: 'baseurl', baseurls: [root], name: null, allowedHosts: [] })

/** Ingests `xml` as product amzn into a new database, in a worker or not; the repo's result and the database. */
async function ingestOnce (dir: string, name: string, xml: string, inWorker: boolean, claim?: { openChecksum: string }): Promise<{ status: string, error: string | null, added: number, db: string }> {
  const root = join(dir, `${name}-repo`)
  writeRepo(root, xml, claim === undefined ? {} : { claim })
  const db = join(dir, `${name}.sqlite`)
  const summary = await runIngest({ dbPath: db, repos: [spec('amzn', root)], readInWorkerFrom: inWorker ? 0 : Number.MAX_SAFE_INTEGER })
  const repo = summary.repos[0]!
  return { status: repo.status, error: repo.error === null ? null : repo.error.replace(root, 'ROOT'), added: repo.added, db }
}

/** The database's rows and search rows, without the times the runs wrote. */
const contents = (db: string): string => snapshot(db).replace(/"(created_at|first_seen|last_changed|value)":"\d{4}-\d\d-\d\dT[\d:]+Z"/g, '"$1":"TIME"')

const good = updateinfoText({ advisories: 700, packagesPerAdvisory: 3, idPrefix: 'AMZN' })

t.test('a file read in a worker stores exactly what reading here stores', async (t) => {
  const dir = tempDir(t)
  const here = await ingestOnce(dir, 'here', good, false)
  const worker = await ingestOnce(dir, 'worker', good, true)
  t.equal(worker.status, 'ok')
  t.equal(worker.added, 700, 'every advisory, over several batches')
  t.ok(contents(worker.db).includes('"AMZN-2016-00700"'), 'the last advisory is stored')
  t.equal(contents(worker.db), contents(here.db), 'the same rows and search rows')
})

t.test('errors read in a worker are the same errors, and nothing is written', async (t) => {
  const dir = tempDir(t)
  const cases: Array<[string, string, { openChecksum: string } | undefined]> = [
    // An error after several batches: the records before it reach the writer, then the repo rolls back.
    ['invalid XML late in the file', good.replace('</updates>', '<update><id>X</id></updates>'), undefined],
    ['a field past its limit', good.replace('<title>', `<title>${'x'.repeat(1024 * 1024 + 1)}`), undefined],
    ['open-checksum mismatch, found after the last record', good, { openChecksum: '0'.repeat(64) }]
  ]
  for (const [name, xml, claim] of cases) {
    const here = await ingestOnce(dir, `${name}-here`, xml, false, claim)
    const worker = await ingestOnce(dir, `${name}-worker`, xml, true, claim)
    t.equal(worker.status, 'failed', `${name}: the repo fails`)
    t.equal(worker.error, here.error, `${name}: the same error (${here.error ?? ''})`)
    t.equal(worker.added, 0, `${name}: no counts`)
    t.equal(contents(worker.db), contents(here.db), `${name}: the database holds what it held before (no advisory)`)
    t.notOk(contents(worker.db).includes('AMZN-2016-00001'), `${name}: not even the advisories read before the error`)
  }
})
