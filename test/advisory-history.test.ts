// The advisory page's history, once something changed, from what the worker records: when the advisory was first
// seen (with the dates it had then), each change of its issued or updated date (advisory_history), each withdrawal and reinstatement
// (advisory_event, migration 0005), and a withdrawal by the operator (`repos remove --withdraw`).
import t from 'tap'
import { join } from 'node:path'
import { RepoAdmin } from '../db/repo-admin.js'
import { openDatabase } from '../db/open.js'
import type { RepoSpec } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { readRows } from './helpers/db.js'
import { writeLabRepo, type LabAdvisory } from './helpers/lab.js'
import { tempDir } from './helpers/paths.js'
import { testApp } from './helpers/test-app.js'

const other: LabAdvisory = { id: 'LAB-2', issued: '2024-01-01 00:00:00', packages: [{ name: 'keep' }] }
const v1: LabAdvisory = { id: 'LAB-1', issued: '2024-01-01 10:00:00', updated: '2024-01-02 11:00:00', packages: [{ name: 'tool' }] }

/** The history list as a reader sees it: each item's text without markup (none without the section). */
function historyItems (html: string): string[] {
  if (!html.includes('<h2 id="history">')) return []
  const section = html.slice(html.indexOf('<h2 id="history">'), html.indexOf('</section>', html.indexOf('<h2 id="history">')))
  return [...section.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''))
}

const utc = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`

t.test('first seen, date changes, withdrawal and return: each as it was recorded', async (t) => {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  const root = join(dir, 'lab')
  const spec: RepoSpec = { productId: 'lab', productName: 'Lab', url: root, kind: 'baseurl', baseurls: [root], name: 'lab', allowedHosts: [] }
  const ingest = async (advisories: LabAdvisory[]): Promise<void> => {
    writeLabRepo(dir, 'lab', advisories)
    const summary = await runIngest({ dbPath, repos: [spec] })
    t.equal(summary.repos[0]?.status, 'ok')
  }
  await ingest([v1, other])
  const page = async (): Promise<string[]> => {
    const app = await testApp(t, { dbPath })
    const res = await app.inject('/lab/LAB-1')
    t.equal(res.statusCode, 200)
    await app.close()
    return historyItems(res.body)
  }
  const firstSeen = readRows<{ first_seen: string }>(dbPath, "SELECT first_seen FROM advisory WHERE id = 'LAB-1'")[0]!.first_seen
  // Nothing changed yet: no history section, so an unchanged advisory's page is the same bytes on replicas that
  // first saw it at different times (test/replica-etags.test.ts).
  t.strictSame(await page(), [], 'a new advisory: no history yet')

  await ingest([{ ...v1, updated: '2024-02-01 09:30:00' }, other])
  await ingest([other])
  await ingest([{ ...v1, issued: '2024-01-05 08:00:00', updated: '2024-02-01 09:30:00' }, other])
  const history = readRows<{ changed_at: string }>(dbPath, 'SELECT changed_at FROM advisory_history ORDER BY rowid')
  const events = readRows<{ at: string, kind: string }>(dbPath, 'SELECT at, kind FROM advisory_event ORDER BY rowid')
  t.strictSame(events.map((e) => e.kind), ['withdrawn', 'reinstated'], 'the worker recorded the withdrawal and the return')
  t.equal(history.length, 2, 'and two changes of dates')
  t.strictSame(await page(), [
    `${utc(firstSeen)}: first seen, issued 2024-01-01 10:00 UTC, updated 2024-01-02 11:00 UTC`,
    `${utc(history[0]!.changed_at)}: updated date changed from 2024-01-02 11:00 UTC to 2024-02-01 09:30 UTC`,
    `${utc(events[0]!.at)}: withdrawn: no repository listed it any more`,
    `${utc(history[1]!.changed_at)}: issued date changed from 2024-01-01 10:00 UTC to 2024-01-05 08:00 UTC`,
    `${utc(events[1]!.at)}: listed again, no longer withdrawn`
  ], 'in the order they happened, even within one second')
  const other2 = readRows<{ n: number }>(dbPath, "SELECT count(*) AS n FROM advisory_event e JOIN advisory a ON a.pk = e.advisory_pk WHERE a.id = 'LAB-2'")[0]!.n
  t.equal(other2, 0, 'an advisory that never left has no events')

  // The operator withdraws the repo: recorded too, and the withdrawn notice and history agree.
  const db = openDatabase(dbPath)
  const admin = new RepoAdmin(db)
  const repoId = readRows<{ id: number }>(dbPath, 'SELECT id FROM repo')[0]!.id
  admin.remove('lab', [repoId], 'withdraw', '2030-01-01T00:00:00Z')
  db.close()
  const items = await page()
  t.equal(items.at(-1), '2030-01-01 00:00 UTC: withdrawn: no repository listed it any more', 'repos remove --withdraw is in the history')
  t.equal(items.length, 6)
})

t.test('a withdrawal recorded before migration 0005 (no event) is still shown, from withdrawn_at', async (t) => {
  const dir = tempDir(t)
  const dbPath = join(dir, 'db.sqlite')
  const root = join(dir, 'lab')
  const spec: RepoSpec = { productId: 'lab', productName: 'Lab', url: root, kind: 'baseurl', baseurls: [root], name: 'lab', allowedHosts: [] }
  writeLabRepo(dir, 'lab', [v1, other])
  await runIngest({ dbPath, repos: [spec] })
  writeLabRepo(dir, 'lab', [other])
  await runIngest({ dbPath, repos: [spec] })
  const db = openDatabase(dbPath)
  db.exec("DELETE FROM advisory_event; UPDATE advisory SET withdrawn_at = '2029-06-01T12:00:00Z' WHERE id = 'LAB-1'")
  db.close()
  const app = await testApp(t, { dbPath })
  const items = historyItems((await app.inject('/lab/LAB-1')).body)
  t.equal(items.length, 2)
  t.equal(items[1], '2029-06-01 12:00 UTC: withdrawn: no repository listed it any more')
})
