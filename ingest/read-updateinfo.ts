// The pure half of the ingest: decompressed updateinfo.xml bytes in, normalised advisories out, no
// database. Golden-tested against every fixture (test/updateinfo-golden.test.ts).
import type { Advisory } from '../db/advisory.js'
import { normalizeUpdate } from './normalize.js'
import type { UpdateLimits } from './update-limits.js'
import { UpdateinfoParser, type RawUpdate } from './updateinfo-parser.js'
import { decodeXmlText } from './xml-text.js'

/** One `<update>` as read, in file order; `line` is where its start tag is. */
export type ReadResult =
  /** `hash`: its contentHash when worked out ahead (the worker thread does, to spare the writer's thread). */
  | { kind: 'advisory', line: number, advisory: Advisory, warnings: string[], hash?: string }
  /** An `<update>` without an id: skipped, as yum does. */
  | { kind: 'skipped', line: number, warnings: string[] }

export interface ReadOptions {
  /** Longest run of text without markup (decodeXmlText) and longest text a field may hold. */
  maxTextRun: number
  limits?: Partial<UpdateLimits>
  /** Called after each chunk of text is parsed and its records taken, with the `<update>`s read so far. */
  onProgress?: (updates: number) => void
}

function toResult (raw: RawUpdate): ReadResult {
  const normalized = normalizeUpdate(raw)
  if (normalized === null) return { kind: 'skipped', line: raw.line, warnings: [`an <update> without an id (line ${raw.line}) was skipped`] }
  return { kind: 'advisory', line: raw.line, advisory: normalized.advisory, warnings: normalized.warnings }
}

/**
 * Yields every `<update>` of the file in order; throws on the first error (invalid XML or text, a limit),
 * after yielding what was read before it. Memory holds one chunk's records: the next chunk of bytes is
 * read only when the consumer has taken them.
 */
export async function * readUpdateinfo (bytes: AsyncIterable<Buffer>, options: ReadOptions): AsyncGenerator<ReadResult> {
  let batch: ReadResult[] = []
  const parser = new UpdateinfoParser({
    maxTextRun: options.maxTextRun,
    limits: options.limits,
    onUpdate: (raw) => { batch.push(toResult(raw)) }
  })
  const take = (): ReadResult[] => {
    const taken = batch
    batch = []
    return taken
  }
  for await (const text of decodeXmlText(bytes, { maxTextRun: options.maxTextRun })) {
    try {
      parser.write(text)
    } catch (err) {
      yield * take()
      throw err
    }
    yield * take()
    options.onProgress?.(parser.updates)
  }
  try {
    parser.end()
  } catch (err) {
    yield * take()
    throw err
  }
  yield * take()
}
