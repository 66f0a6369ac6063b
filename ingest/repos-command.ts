// `npm run repos -- list | remove`: the products and repos the database holds, and removing a repo (or a
// product's every repo) with the advisories only it provided withdrawn or deleted, as the operator says.
// Nothing is removed without that explicit choice. A removal takes the ingest lock and is one transaction.
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { assertSchemaCurrent, migrate } from '../db/migrate.js'
import { openDatabase } from '../db/open.js'
import { defaultDbPath } from '../db/paths.js'
import { RepoAdmin, type AdminRepo, type RemoveMode } from '../db/repo-admin.js'
import { nowIsoSeconds } from '../domain/time.js'
import { flagMistake, UsageError } from './args.js'
import { closest } from './closest.js'
import { redactCredentials, splitCredentials } from './fetcher.js'
import { acquireIngestLock, LockError } from './lock.js'
import { canonicalRepoUrl } from './repo-url.js'
import { formatList, formatRemoval, listJson, repoLabel } from './repos-report.js'
import type { Streams } from './run-output.js'

export const reposUsage = `Usage: npm run repos -- COMMAND [options]

Commands:
  list                       every product and repo: URL, last ingest status and time, advisory counts
  remove PRODUCT [REPO]      remove one repo of PRODUCT (REPO: its URL, path or name), or all of them,
                             saying what becomes of the advisories only that repo provided:
    --withdraw               they stay, marked withdrawn: their pages and history are kept
    --delete                 they are deleted, with their history

Options:
  --db PATH                  SQLite database (default: $DB_PATH or ${defaultDbPath})
  --json                     list: JSON instead of text
  --wait                     remove: wait for a running ingest instead of refusing
  -h, --help                 this text`

export type ReposCommand =
  | { command: 'help' }
  | { command: 'list', dbPath: string, json: boolean }
  | { command: 'remove', dbPath: string, product: string, repo: string | null, mode: RemoveMode, wait: boolean }

/** A mistake about what the database holds (no such product or repo): exit status 1. */
export class RepoAdminError extends Error { override name = 'RepoAdminError' }

const flags = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  withdraw: { type: 'boolean' },
  delete: { type: 'boolean' },
  wait: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

const commands = ['list', 'remove']

function readFlags (argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: true, options: flags })
  } catch (err) {
    throw new UsageError(flagMistake(err as Error & { code?: string }, Object.keys(flags)))
  }
}

function removeMode (values: ReturnType<typeof readFlags>['values']): RemoveMode {
  if (values.withdraw === true && values.delete === true) throw new UsageError('--withdraw and --delete exclude each other: pass one')
  if (values.withdraw === true) return 'withdraw'
  if (values.delete === true) return 'delete'
  throw new UsageError('refusing to remove without a choice: pass --withdraw to keep its advisories as withdrawn, or --delete to delete them')
}

export function parseReposArgs (argv: string[], env: NodeJS.ProcessEnv = process.env): ReposCommand {
  const { values, positionals } = readFlags(argv)
  if (values.help === true) return { command: 'help' }
  const [command, ...rest] = positionals
  const dbPath = values.db ?? env.DB_PATH ?? defaultDbPath
  if (command === undefined) throw new UsageError('give a command: list or remove')
  if (!commands.includes(command)) {
    const near = closest(command, commands)
    throw new UsageError(`unknown command "${command}"${near === null ? ' (commands: list, remove)' : `; did you mean "${near}"?`}`)
  }
  if (command === 'list') {
    if (rest.length > 0) throw new UsageError(`list takes no arguments (got "${rest.join(' ')}")`)
    for (const flag of ['withdraw', 'delete', 'wait'] as const) if (values[flag] === true) throw new UsageError(`--${flag} applies to remove, not to list`)
    return { command: 'list', dbPath, json: values.json === true }
  }
  if (values.json === true) throw new UsageError('--json applies to list, not to remove')
  if (rest.length === 0 || rest.length > 2) throw new UsageError('remove takes a product and at most one repo: remove PRODUCT [REPO] --withdraw|--delete')
  return { command: 'remove', dbPath, product: rest[0]!, repo: rest[1] ?? null, mode: removeMode(values), wait: values.wait === true }
}

/** A repo named by its URL or path in any form the configuration accepts (canonical or as stored), or by its name. */
function matchRepo (repos: AdminRepo[], given: string): AdminRepo[] {
  const forms = new Set([given])
  for (const kind of ['baseurl', 'mirrorlist'] as const) {
    try { forms.add(splitCredentials(canonicalRepoUrl(given, kind)).url) } catch { /* not a URL or path: maybe a name */ }
  }
  const byUrl = repos.filter((r) => forms.has(r.url))
  return byUrl.length > 0 ? byUrl : repos.filter((r) => r.name === given)
}

/** The repos the command removes; --withdraw takes those in use, --delete also those removed before. */
function chooseRepos (admin: RepoAdmin, cmd: Extract<ReposCommand, { command: 'remove' }>): AdminRepo[] {
  const ids = admin.products().map((p) => p.id)
  if (!ids.includes(cmd.product)) {
    const near = closest(cmd.product, ids)
    throw new RepoAdminError(`no product "${cmd.product}" in ${cmd.dbPath}${near === null ? ` (products: ${ids.join(', ') || 'none'})` : `; did you mean "${near}"?`}`)
  }
  const repos = admin.repos().filter((r) => r.productId === cmd.product)
  if (cmd.repo === null) {
    const chosen = cmd.mode === 'withdraw' ? repos.filter((r) => r.removedAt === null) : repos
    if (chosen.length === 0) throw new RepoAdminError(`${cmd.product} has no repo in use: every one was removed with --withdraw; --delete deletes the advisories they keep`)
    return chosen
  }
  const matched = matchRepo(repos, cmd.repo)
  if (matched.length === 0) throw new RepoAdminError(`${cmd.product} has no repo "${cmd.repo}"; its repos: ${repos.map(repoLabel).join(', ')}`)
  if (matched.length > 1) throw new RepoAdminError(`"${cmd.repo}" names ${matched.length} repos of ${cmd.product}: ${matched.map((r) => r.url).join(', ')}; give the URL of one`)
  const repo = matched[0]!
  if (cmd.mode === 'withdraw' && repo.removedAt !== null) throw new RepoAdminError(`${cmd.product} repo ${repo.url} was removed with --withdraw already (${repo.removedAt}); --delete deletes the advisories it keeps`)
  return [repo]
}

function list (cmd: Extract<ReposCommand, { command: 'list' }>, out: Streams): void {
  const db = openDatabase(cmd.dbPath, { readonly: true })
  try {
    assertSchemaCurrent(db)
    const admin = new RepoAdmin(db)
    const { products, repos } = db.transaction(() => ({ products: admin.products(), repos: admin.repos() }))()
    out.stdout.write(cmd.json ? `${JSON.stringify(listJson(products, repos))}\n` : formatList(products, repos))
  } finally {
    db.close()
  }
}

function remove (cmd: Extract<ReposCommand, { command: 'remove' }>, out: Streams): void {
  // An ingest writing the same repo meanwhile would undo part of the removal: one writer at a time.
  const lock = acquireIngestLock(cmd.dbPath, cmd.wait ? 24 * 3_600_000 : 0)
  try {
    const db = openDatabase(cmd.dbPath)
    try {
      migrate(db)
      const admin = new RepoAdmin(db)
      const repos = chooseRepos(admin, cmd)
      const removal = admin.remove(cmd.product, repos.map((r) => r.id), cmd.mode, nowIsoSeconds())
      out.stdout.write(formatRemoval(cmd.product, repos, cmd.mode, removal))
    } finally {
      db.close()
    }
  } finally {
    lock.release()
  }
}

/** Runs the command; returns the exit status (0 done, 1 failed, 2 usage, 75 an ingest holds the lock). */
export function runReposCommand (argv: string[], env: NodeJS.ProcessEnv, out: Streams): number {
  let cmd: ReposCommand
  try {
    cmd = parseReposArgs(argv, env)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    out.stderr.write(`repos: ${err.message} (see npm run repos -- --help)\n`)
    return 2
  }
  if (cmd.command === 'help') { out.stdout.write(`${reposUsage}\n`); return 0 }
  if (!existsSync(cmd.dbPath)) {
    out.stderr.write(`repos: no database at ${cmd.dbPath} (give --db PATH or set DB_PATH)\n`)
    return 1
  }
  try {
    if (cmd.command === 'list') list(cmd, out)
    else remove(cmd, out)
    return 0
  } catch (err) {
    out.stderr.write(`repos: ${redactCredentials((err as Error).message)}\n`)
    return err instanceof LockError ? 75 : 1
  }
}
