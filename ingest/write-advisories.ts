// Step 5 of a repo's ingest: writes its records in one transaction (each advisory, then the repo's new
// state), and commits unless that would withdraw too much at once. Any failure rolls the whole repo back.
import type { AdvisoryStore, DropPlan, RepoCounts } from '../db/advisory-store.js'
import type { RepoStore } from '../db/repo-store.js'
import type { ReadResult } from './read-updateinfo.js'
import { IngestError } from './repo-context.js'

/** A run may drop this share of a repo's advisories (and always fewer than `min`) without --allow-withdraw. */
export const withdrawalGuard = { share: 0.1, min: 5 }

const maxLoggedWarnings = 20

type RepoWriter = ReturnType<AdvisoryStore['beginRepo']>

export interface WriteJob {
  advisories: AdvisoryStore
  repos: RepoStore
  productId: string
  runId: number
  now: () => string
  /** The repo's state after this run, saved in the same transaction (stamped with the time then). */
  state: Omit<Parameters<RepoStore['saveSuccess']>[0], 'now'>
  /** repomd.xml lists no updateinfo (the guard's message says so). */
  noEntry: boolean
  /** The operator confirms a mass withdrawal (--allow-withdraw). */
  allowWithdraw: boolean
  /** Logs a warning about this repo (the caller names the product and mirror). */
  warn: (message: string) => void
}

export interface Written extends RepoCounts { warnings: number }

/** `records` is null when the repo publishes no updateinfo: all it listed is dropped, within the guard. */
export async function writeAdvisories (records: AsyncIterable<ReadResult> | null, job: WriteJob): Promise<Written> {
  const writer = job.advisories.beginRepo(job.productId, job.state.id, job.runId, job.now())
  try {
    const warnings = records === null ? 0 : await writeRecords(records, writer, job.warn)
    job.repos.saveSuccess({ ...job.state, now: job.now() })
    const counts = writer.commit((plan) => { checkWithdrawals(plan, job) })
    return { ...counts, warnings }
  } catch (err) {
    writer.rollback()
    throw err
  }
}

/** Logs each record's warnings (the first few: a broken file may warn per advisory) and writes each advisory. */
async function writeRecords (records: AsyncIterable<ReadResult>, writer: RepoWriter, log: (message: string) => void): Promise<number> {
  let warnings = 0
  const warn = (message: string): void => {
    warnings++
    if (warnings <= maxLoggedWarnings) log(message)
  }
  for await (const record of records) {
    for (const w of record.warnings) warn(w)
    if (record.kind === 'skipped') {
      writer.counts.skipped++
      continue
    }
    if (writer.write(record.advisory, record.hash) === 'duplicate') {
      warn(`${record.advisory.id} appears more than once; the first occurrence is kept (line ${record.line})`)
    }
  }
  if (warnings > maxLoggedWarnings) log(`${warnings - maxLoggedWarnings} more warnings not shown`)
  return warnings
}

/**
 * An empty <updates/>, a repomd without its updateinfo entry or an old copy of the repo would drop
 * most advisories at once: refused unless the operator confirms it (--allow-withdraw).
 */
function checkWithdrawals (plan: DropPlan, job: WriteJob): void {
  const { listed, dropped } = plan
  if (dropped < withdrawalGuard.min || dropped <= listed * withdrawalGuard.share) return
  const what = `${job.noEntry ? 'repomd.xml lists no updateinfo, which' : 'the updateinfo'} would drop ${dropped} of the ${listed} advisories this repo listed`
  if (job.allowWithdraw) {
    job.warn(`${what}; accepted with --allow-withdraw`)
    return
  }
  throw new IngestError(`${what} (more than ${withdrawalGuard.share * 100} % and at least ${withdrawalGuard.min}): refused as a likely broken or stale mirror; pass --allow-withdraw to confirm a real mass withdrawal`)
}
