// The export's run journal (export/journal.ts): every path noted before its file is written, in the order
// noted, even when many notes arrive while one is being written (they go out together); a run that stops
// leaves the journal, and the next one takes its paths over (and removes their temporary files).
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempPathOf } from '../export/atomic-file.js'
import { ExportLockedError, Journal, journalName } from '../export/journal.js'
import { tempDir } from './helpers/paths.js'

t.test('notes made at once are all written, in order, each before its caller goes on', async (t) => {
  const dir = tempDir(t)
  const journal = await Journal.open(dir)
  const paths = Array.from({ length: 200 }, (_, i) => `api/v1/doc-${i}.json`)
  const seen: number[] = []
  // 200 callers at once, some with several paths: most arrive while an earlier write is in flight.
  await Promise.all(paths.map(async (path, i) => {
    await (i % 10 === 0 ? journal.record(path, `${path}.gz`) : journal.record(path))
    // Awaited means written: the journal on disk already holds this caller's note.
    seen.push(readFileSync(join(dir, journalName), 'utf8').split('\n').includes(JSON.stringify(path)) ? 1 : 0)
  }))
  t.equal(seen.filter((s) => s === 1).length, paths.length, 'every note was in the file when its caller went on')
  await journal.abandon()
  const lines = readFileSync(join(dir, journalName), 'utf8').trimEnd().split('\n')
  t.equal(lines[0], `pid ${process.pid}`)
  const expected = paths.flatMap((p, i) => i % 10 === 0 ? [p, `${p}.gz`] : [p])
  t.same(lines.slice(1).map((l) => JSON.parse(l) as string), expected, 'each path once, in the order noted')

  // The next run takes the left journal over: the paths, with their temporary files removed.
  mkdirSync(join(dir, 'api/v1'), { recursive: true })
  writeFileSync(tempPathOf(join(dir, paths[3]!)), 'half')
  const next = await Journal.open(dir)
  t.same(next.leftover, expected, 'the paths the stopped run noted')
  t.notOk(existsSync(tempPathOf(join(dir, paths[3]!))), 'its temporary file is gone')
  await next.close()
  t.notOk(existsSync(join(dir, journalName)), 'a finished run leaves no journal')
})

t.test('a second export of the same directory is refused while the first runs', async (t) => {
  const dir = tempDir(t)
  // Another live process's journal (the test runner, this process's parent).
  writeFileSync(join(dir, journalName), `pid ${process.ppid}\n"index.html"\n`)
  await t.rejects(Journal.open(dir), ExportLockedError)
  t.ok(existsSync(join(dir, journalName)), 'and its journal is left alone')
})

t.test('a failed write reaches the callers whose notes it held', async (t) => {
  const dir = tempDir(t)
  const journal = await Journal.open(dir)
  await journal.record('a.html')
  // Closing the file under the journal makes its next write fail, as a full disk would.
  const handle = (journal as unknown as { handle: { close: () => Promise<void> } }).handle
  await handle.close()
  const results = await Promise.allSettled([journal.record('b.html'), journal.record('c.html')])
  t.same(results.map((r) => r.status), ['rejected', 'rejected'], 'both notes fail, none is taken as written')
  await t.rejects(journal.record('d.html'), 'and so does a note after them')
})
