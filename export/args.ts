// Command-line arguments of the static export, validated once, with a clear message for each mistake.
import { parseArgs } from 'node:util'
import { defaultDbPath } from '../db/paths.js'
import { checkPublicUrl } from '../server/config.js'

export class UsageError extends Error { override name = 'UsageError' }

export const usage = `Usage: npm run export -- --out DIR --public-url URL [options]

Writes every public document of the portal as files under DIR, at the live server's URLs, and on a
second run only what changed (see docs/static-export.md).

  --out DIR            the directory to write (made if missing; a directory without an export
                       manifest must be empty, see --force)
  --public-url URL     the portal's public address (https://security.example.org): absolute links in
                       feeds and the API use it (also $PUBLIC_URL); required
  --db PATH            SQLite database (default: $DB_PATH or ${defaultDbPath})
  --dynamic-url URL    the live server (an origin) the pages send search, filters and "Check a server"
                       to; without it the pages leave them out (see docs/static-export.md)
  --cve-feeds          also write the per-CVE feeds (three files per CVE; left out by default, and
                       the CVE pages link them on --dynamic-url, or not at all)
  --verify             read back every file kept and rewrite it when its bytes differ from the
                       manifest (without it, a kept file is checked by its size)
  --force              export into a non-empty directory that holds no export manifest
  --json               print only the summary, as JSON on stdout
  -h, --help           this text`

export interface ExportOptions {
  outDir: string
  dbPath: string
  publicUrl: string
  dynamicUrl: string | null
  cveFeeds: boolean
  verify: boolean
  force: boolean
  json: boolean
  help: boolean
}

const flags = {
  out: { type: 'string' },
  db: { type: 'string' },
  'public-url': { type: 'string' },
  'dynamic-url': { type: 'string' },
  'cve-feeds': { type: 'boolean' },
  verify: { type: 'boolean' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

export function parseExportArgs (argv: string[], env: NodeJS.ProcessEnv = process.env): ExportOptions {
  let values
  try {
    ({ values } = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }))
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!.replace(/^Unknown option '(.*)'.*$/, 'unknown option $1'))
  }
  const options = {
    dbPath: nonEmpty(values.db ?? env.DB_PATH ?? defaultDbPath, '--db'),
    dynamicUrl: values['dynamic-url'] === undefined ? null : originOnly(values['dynamic-url'], '--dynamic-url'),
    cveFeeds: values['cve-feeds'] === true,
    verify: values.verify === true,
    force: values.force === true,
    json: values.json === true,
    help: values.help === true
  }
  if (options.help) return { ...options, outDir: '', publicUrl: '' }
  if (values.out === undefined) throw new UsageError('--out DIR is required: the directory to write the files to')
  const publicUrl = values['public-url'] ?? env.PUBLIC_URL
  if (publicUrl === undefined || publicUrl === '') throw new UsageError('--public-url URL (or PUBLIC_URL) is required: feeds and API documents carry absolute links, and they must be the public ones')
  return { ...options, outDir: nonEmpty(values.out, '--out'), publicUrl: originOnly(publicUrl, '--public-url') }
}

function nonEmpty (value: string, flag: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`)
  return value
}

/** The exported pages link from the site's root (`/cve/...`), so the site must be served at an origin's root. */
function originOnly (value: string, flag: string): string {
  let url: string | null
  try {
    url = checkPublicUrl(value)
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`)
  }
  if (url === null) throw new UsageError(`${flag} must not be empty`)
  if (new URL(url).pathname !== '/') throw new UsageError(`${flag}: "${value}" has a path; the pages link from the root (/cve/...), so give the address the site is served at, without a path`)
  return url
}
