// An OSV bundle made again from its previous copy (export/bundle-job.ts): written to its target file with kept
// lines copied from the old file in ranges and made-again lines in their places, the old file read in pieces
// (lines longer than a piece included), and a previous copy that is not what the manifest recorded, or not a
// bundle, refused rather than used.
import t from 'tap'
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
import { previousLines, runBundleJob, type BundleJob } from '../export/bundle-job.js'
import { tempDir } from './helpers/paths.js'

const line = (id: string, details = 'x'): string => `{"schema_version":"1.6.0","id":"${id}","details":"${details}"}\n`
const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** A previous copy on disk and a job over it; `order` and `fresh` as the export gives them. */
function job (t: Parameters<typeof tempDir>[0], previous: string, order: BundleJob['order'], fresh: string[] = [], recorded: { size?: number, sha256?: string | null } = {}): BundleJob {
  const dir = tempDir(t)
  const path = join(dir, 'all.ndjson')
  writeFileSync(path, previous)
  return {
    previous: { path, size: recorded.size ?? Buffer.byteLength(previous), sha256: recorded.sha256 ?? null },
    order,
    fresh: fresh.map((f) => Buffer.from(f)),
    target: join(dir, '.llsc-tmp.all'),
    largeDocument: 64,
    previousGzip: null
  }
}

t.test('kept lines come from the old file in the new order, made-again lines where they belong', async (t) => {
  const old = line('A-1') + line('A-2', 'two') + line('A-3') + line('A-4', 'four')
  const made = job(t, old, ['A-4', 0, 'A-1', 'A-2', 1], [line('A-3', 'revised'), line('A-5', 'new')], { sha256: sha256(old) })
  const result = await runBundleJob(made)
  if (result.kind !== 'made') throw new Error(`not made: ${result.kind}`)
  const expected = line('A-4', 'four') + line('A-3', 'revised') + line('A-1') + line('A-2', 'two') + line('A-5', 'new')
  t.equal(readFileSync(made.target, 'utf8'), expected, 'the target file holds the new bundle')
  t.equal(readFileSync(made.previous.path, 'utf8'), old, 'the previous copy is left as it was')
  t.same([result.size, result.sha256], [Buffer.byteLength(expected), sha256(expected)], 'its size and sha256 are of those bytes')
  t.equal(gunzipSync(result.gzip!.bytes).toString(), expected, 'and its .gz (from parts: the bundle is large here) holds them')
})

t.test('the old file is read in pieces: lines across a piece and lines longer than one', async (t) => {
  const ids = Array.from({ length: 40 }, (_, i) => `B-${i}`)
  // Lines of 60 to 900 bytes against pieces of 128: most cross a piece's end, many are longer than a piece.
  const old = ids.map((id, i) => line(id, 'y'.repeat((i * 97) % 840))).join('')
  const path = join(tempDir(t), 'old.ndjson')
  writeFileSync(path, old)
  const fd = openSync(path, 'r')
  try {
    const lines = previousLines(fd, { path, size: Buffer.byteLength(old), sha256: sha256(old) }, 128)
    t.ok(lines !== null, 'read')
    t.same([...lines!.keys()], ids, 'every id, in order')
    const whole = Buffer.from(old)
    t.ok(ids.every((id, i) => whole.subarray(...lines!.get(id)!).toString() === line(id, 'y'.repeat((i * 97) % 840))), 'each at its line, newline included')
  } finally {
    closeSync(fd)
  }
})

t.test('a previous copy that is not the recorded bytes, or not a bundle, is not used', async (t) => {
  const old = line('C-1') + line('C-2')
  const order = ['C-1', 'C-2']
  t.equal((await runBundleJob(job(t, old, order, [], { size: Buffer.byteLength(old) + 1 }))).kind, 'unusable', 'another size than recorded')
  t.equal((await runBundleJob(job(t, old, order, [], { sha256: sha256('other bytes') }))).kind, 'unusable', 'another sha256 than recorded (--verify)')
  t.equal((await runBundleJob(job(t, old.slice(0, -1), order))).kind, 'unusable', 'no newline at its end')
  t.equal((await runBundleJob(job(t, line('C-1') + '{"not":"a record"}\n', order))).kind, 'unusable', 'a line that is not an OSV record')
  const gone = job(t, old, order)
  gone.previous.path = join(tempDir(t), 'missing.ndjson')
  t.equal((await runBundleJob(gone)).kind, 'unusable', 'no file')
  const lacking = job(t, old, ['C-1', 'C-3', 'C-2', 'C-4'])
  t.same(await runBundleJob(lacking), { kind: 'missing', ids: ['C-3', 'C-4'] }, 'records it should keep and lacks: named, to be made again')
  t.notOk(existsSync(lacking.target), 'and nothing written')
})
