// SIGKILL of the ingest worker at 20 random moments of a large ingest (`npm run test:stress`): every time
// the database passes integrity_check and holds exactly the before or the after state, and the next run
// completes. The moments come from a seeded generator, printed so a failure can be replayed (STRESS_SEED).
import t from 'tap'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoSpec } from '../../ingest/config.js'
import { runIngest } from '../../ingest/run.js'
import { runCli, spawnCli } from '../helpers/cli.js'
import { dbState, type DbState } from '../helpers/db.js'
import { tempDir } from '../helpers/paths.js'
import { writeRepo } from '../helpers/repo-builder.js'
import { updateinfoText } from '../helpers/updateinfo-generator.js'

const kills = Number(process.env.STRESS_KILLS ?? 20)
const seed = Number(process.env.STRESS_SEED ?? Date.now() % 100000)

function prng (s: number): () => number {
  let state = s >>> 0
  return () => { state = (state * 1664525 + 1013904223) >>> 0; return state / 4294967296 }
}

t.test(`SIGKILL at ${kills} random moments (seed ${seed})`, async (t) => {
  const dir = tempDir(t)
  const repo = join(dir, 'repo')
  const spec: RepoSpec = { productId: 'big', productName: 'big', url: repo, kind: 'baseurl', baseurls: [repo], name: null, allowedHosts: [] }
  const beforeDb = join(dir, 'before.sqlite')
  writeRepo(repo, updateinfoText({ advisories: 300, packagesPerAdvisory: 4, seed: 1 }))
  t.equal((await runIngest({ dbPath: beforeDb, repos: [spec] })).repos[0]?.status, 'ok')
  const before = dbState(beforeDb)

  // The 'after' state and how long a whole run takes, measured once.
  writeRepo(repo, updateinfoText({ advisories: 6000, packagesPerAdvisory: 8, seed: 2, dayOffset: 1 }))
  const afterDb = join(dir, 'after.sqlite')
  copyFileSync(beforeDb, afterDb)
  const args = (db: string): string[] => ['--db', db, '--repo', repo, '--product', 'big', '--json']
  const started = Date.now()
  const full = await runCli(t, args(afterDb))
  const fullMs = Date.now() - started
  t.equal(full.code, 0, full.stderr)
  const after = dbState(afterDb)
  t.not(after.advisories, before.advisories)
  t.comment(`a whole run takes ${fullMs} ms; before ${before.advisories} advisories, after ${after.advisories}`)

  const random = prng(seed)
  const outcomes = { before: 0, after: 0 }
  for (let i = 0; i < kills; i++) {
    const delay = Math.floor(random() * fullMs * 1.05)
    const db = join(dir, `kill-${i}.sqlite`)
    copyFileSync(beforeDb, db)
    const proc = spawnCli(t, args(db))
    await new Promise((resolve) => setTimeout(resolve, delay))
    proc.child.kill('SIGKILL')
    const res = await proc.done
    const state = dbState(db)
    t.equal(state.integrity, 'ok', `kill ${i + 1} at ${delay} ms: integrity_check`)
    const which: 'before' | 'after' = state.advisories === after.advisories ? 'after' : 'before'
    outcomes[which]++
    t.same(state, which === 'after' ? after : before as DbState, `kill ${i + 1} at ${delay} ms (${res.signal ?? `exit ${String(res.code)}`}): exactly the ${which} state`)
    // The next run completes from whatever the kill left.
    const next = await runCli(t, args(db))
    t.equal(next.code, 0, `kill ${i + 1}: the next run completes`)
    t.same(dbState(db).advisories, after.advisories, `kill ${i + 1}: the next run reaches the after state`)
  }
  t.comment(`outcomes: ${outcomes.before} before, ${outcomes.after} after`)
})
