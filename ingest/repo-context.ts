// What every step of one repo's ingest is given (the stores, fetch options, limits, the log, progress),
// and the error a step throws when the mirror or its files are at fault.
import type { AdvisoryStore } from '../db/advisory-store.js'
import type { RepoStore } from '../db/repo-store.js'
import type { RepoSpec } from './config.js'
import type { FetchOptions } from './fetcher.js'
import { defaultUpdateLimits, type UpdateLimits } from './update-limits.js'

export interface IngestLimits {
  maxDecompressedBytes: number
  maxTextRun: number
  maxMirrorlistBytes: number
  maxRepomdBytes: number
  /** Per advisory: fields, attributes, the whole <update>, and the nesting depth (update-limits.ts). */
  update: UpdateLimits
}

export const defaultLimits: IngestLimits = {
  maxDecompressedBytes: 1024 ** 3,
  maxTextRun: 64 * 1024 * 1024,
  maxMirrorlistBytes: 1024 * 1024,
  maxRepomdBytes: 16 * 1024 * 1024,
  update: defaultUpdateLimits
}

export interface Logger {
  info: (message: string) => void
  warn: (message: string) => void
}

export type Progress =
  | { phase: 'download', repo: RepoSpec, bytes: number }
  | { phase: 'parse', repo: RepoSpec, bytes: number, total: number, advisories: number }

export interface RepoContext {
  advisories: AdvisoryStore
  repos: RepoStore
  runId: number
  fetch: FetchOptions
  limits: IngestLimits
  tempDir: string
  log: Logger
  onProgress?: (progress: Progress) => void
  now: () => string
  /** The operator confirms a mass withdrawal or an older repomd (--allow-withdraw). */
  allowWithdraw?: boolean
  /** Downloaded updateinfo files from this many bytes are read in a worker thread (worker-reader.ts's default). */
  readInWorkerFrom?: number
}

export class IngestError extends Error { override name = 'IngestError' }
