// The reader's output for each updateinfo fixture, as kept in test/fixtures/updateinfo-golden/
// (compared by test/updateinfo-golden.test.ts, rewritten by `npm run golden`).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createDecompressor, detectCompression } from '../../ingest/decompress.js'
import { defaultLimits } from '../../ingest/repo-context.js'
import { readUpdateinfo, type ReadResult } from '../../ingest/read-updateinfo.js'
import { fixturesDir } from './paths.js'

export const updateinfoDir = join(fixturesDir, 'updateinfo')
export const goldenDir = join(fixturesDir, 'updateinfo-golden')

export const updateinfoFixtures = (): string[] => readdirSync(updateinfoDir).sort()
export const goldenPath = (fixture: string): string => join(goldenDir, `${fixture}.json`)

/** The fixture's bytes decompressed as the ingest does (by magic bytes), in chunks of `chunkSize`. */
async function * decompressed (file: Buffer, chunkSize: number): AsyncGenerator<Buffer> {
  const decompressor = await createDecompressor(detectCompression(file))
  const source = decompressor === null ? [file] : Readable.from([file]).pipe(decompressor)
  for await (const data of source) {
    const chunk = data as Buffer
    for (let at = 0; at < chunk.length; at += chunkSize) yield chunk.subarray(at, at + chunkSize)
  }
}

/** Every record the reader yields for the fixture, with the ingest's default limits. */
export async function readFixture (fixture: string, chunkSize = 64 * 1024): Promise<ReadResult[]> {
  const records: ReadResult[] = []
  const bytes = decompressed(readFileSync(join(updateinfoDir, fixture)), chunkSize)
  for await (const record of readUpdateinfo(bytes, { maxTextRun: defaultLimits.maxTextRun, limits: defaultLimits.update })) records.push(record)
  return records
}

/** The golden file's text: stable key order (as the reader builds records), two-space indent, final newline. */
export const renderGolden = (records: ReadResult[]): string => `${JSON.stringify(records, null, 2)}\n`
