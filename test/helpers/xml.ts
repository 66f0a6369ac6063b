// Strict XML 1.0 well-formedness for the feed tests: saxes refuses what XML forbids, control characters included.
import { SaxesParser } from 'saxes'

/** The first error a strict XML parser finds in `text`, or null when it is well-formed. */
export function wellFormed (text: string): string | null {
  const parser = new SaxesParser({ xmlns: true })
  let error: string | null = null
  parser.on('error', (err) => { error ??= err.message })
  parser.write(text).close()
  return error
}
