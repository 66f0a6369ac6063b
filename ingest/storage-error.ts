// Names what is wrong when the database directory cannot be written: read-only, or full. SQLite and
// Node report these as "unable to open database file", "disk I/O error" or "ENOENT: mkdir ...".
import { accessSync, constants, statfsSync } from 'node:fs'

const fullCodes = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])
const readOnlyCodes = new Set(['EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_CANTLOCK', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_ROLLBACK'])
// Errors that say nothing useful by themselves: the directory is probed to find the cause.
const vagueCodes = /^(SQLITE_IOERR|SQLITE_CANTOPEN|EACCES|EPERM|ENOENT|EIO)/

/** Below this much free space, a write failure is taken for a full disk. */
const nearlyFull = 256 * 1024

function codeOf (err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : null
}

function readOnly (dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return false
  } catch (err) {
    return codeOf(err) === 'EROFS' || codeOf(err) === 'EACCES' || codeOf(err) === 'EPERM'
  }
}

function full (dir: string): boolean {
  try {
    const s = statfsSync(dir)
    return s.bavail * s.bsize < nearlyFull || (s.files > 0 && s.ffree === 0)
  } catch {
    return false
  }
}

/**
 * "the database directory DIR is read-only" or "disk full: ..." when `err` comes from writing in `dir`
 * (the directory that holds the database and the downloads); null for any other error.
 */
export function storageProblem (err: unknown, dir: string): string | null {
  const code = codeOf(err)
  const message = err instanceof Error ? err.message : String(err)
  const cause = `${code !== null && !message.startsWith(code) ? `${code}: ` : ''}${message}`
  const readOnlyMessage = `the database directory ${dir} is read-only (${cause})`
  const fullMessage = `disk full: no space left in ${dir}, the database directory (${cause})`
  if ((code !== null && fullCodes.has(code)) || /\bENOSPC\b|\bEDQUOT\b|database or disk is full/.test(message)) return fullMessage
  if ((code !== null && readOnlyCodes.has(code)) || /\bEROFS\b|read-only file system|readonly database/.test(message)) return readOnlyMessage
  // The low-level message is left out here: it is what misleads ("ENOENT: mkdir", "disk I/O error").
  if (code !== null && vagueCodes.test(code)) {
    if (readOnly(dir)) return `the database directory ${dir} is read-only`
    if (full(dir)) return `disk full: no space left in ${dir}, the database directory`
  }
  return null
}
