// Bytes to XML text for the parser: the encoding from the BOM (UTF-8 or UTF-16), strict decoding
// (invalid bytes are an error, never U+FFFD), and a cap on one text run so memory stays bounded.

export class XmlTextError extends Error { override name = 'XmlTextError' }

export interface XmlTextOptions {
  /** Longest run of characters without markup, e.g. one description. */
  maxTextRun: number
}

function sniffEncoding (head: Buffer): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be', bom: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: 3 }
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 }
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: 2 }
  return { encoding: 'utf-8', bom: 0 }
}

export async function * decodeXmlText (bytes: AsyncIterable<Buffer>, options: XmlTextOptions): AsyncGenerator<string> {
  let decoder: TextDecoder | null = null
  let encoding = 'utf-8'
  let offset = 0 // bytes decoded so far, for error positions
  let run = 0
  for await (let chunk of bytes) {
    if (decoder === null) {
      const sniffed = sniffEncoding(chunk)
      encoding = sniffed.encoding
      decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true })
      chunk = chunk.subarray(sniffed.bom)
      offset = sniffed.bom
    }
    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch {
      throw new XmlTextError(`invalid ${encoding.toUpperCase()} in the bytes after offset ${offset}`)
    }
    offset += chunk.length
    const firstMarkup = text.indexOf('<')
    if (firstMarkup === -1) {
      run += text.length
    } else {
      if (run + firstMarkup > options.maxTextRun) run += firstMarkup
      else run = text.length - text.lastIndexOf('<') - 1
    }
    if (run > options.maxTextRun) {
      throw new XmlTextError(`a text node is longer than ${options.maxTextRun} characters (near byte ${offset})`)
    }
    if (text.length > 0) yield text
  }
  if (decoder !== null) {
    try {
      const rest = decoder.decode()
      if (rest.length > 0) yield rest
    } catch {
      throw new XmlTextError(`invalid ${encoding.toUpperCase()}: the file ends inside a character`)
    }
  }
}
