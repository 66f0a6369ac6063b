// Builds a real yum repo layout in a directory: repodata/repomd.xml (size, checksum, open-size,
// open-checksum) beside an updateinfo file compressed as asked.
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

export interface BuiltRepo { root: string, updateinfoPath: string, href: string, checksum: string }

export interface BuildOptions {
  /** Bytes as stored in the repo; defaults to gzip of `xml`. */
  stored?: Buffer
  href?: string
  checksumType?: string
  /** Override what repomd.xml claims. */
  claim?: { checksum?: string, size?: number, openChecksum?: string, openSize?: number }
  openChecksum?: boolean
  extraRepomd?: string
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

export function writeRepo (root: string, xml: string | Buffer, options: BuildOptions = {}): BuiltRepo {
  const open = Buffer.isBuffer(xml) ? xml : Buffer.from(xml)
  const stored = options.stored ?? gzipSync(open)
  const href = options.href ?? 'repodata/updateinfo.xml.gz'
  const type = options.checksumType ?? 'sha256'
  const checksum = createHash(type === 'sha' ? 'sha1' : type).update(stored).digest('hex')
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const updateinfoPath = join(root, href)
  writeFileSync(updateinfoPath, stored)
  const openChecksum = options.openChecksum === false
    ? ''
    : `<open-checksum type="sha256">${options.claim?.openChecksum ?? sha256(open)}</open-checksum><open-size>${options.claim?.openSize ?? open.length}</open-size>`
  writeFileSync(join(root, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1700000000</revision>
  <data type="updateinfo">
    <checksum type="${type}">${options.claim?.checksum ?? checksum}</checksum>
    ${openChecksum}
    <location href="${href}"/>
    <timestamp>1700000000</timestamp>
    <size>${options.claim?.size ?? stored.length}</size>
  </data>${options.extraRepomd ?? ''}
</repomd>
`)
  return { root, updateinfoPath, href, checksum }
}
