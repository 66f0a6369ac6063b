// The checksum types createrepo_c knows, by repomd's names ("sha" is SHA-1, as old yum wrote it).
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'

const algorithms: Record<string, string> = {
  sha256: 'sha256',
  sha512: 'sha512',
  sha384: 'sha384',
  sha224: 'sha224',
  sha1: 'sha1',
  sha: 'sha1',
  md5: 'md5'
}

export class ChecksumError extends Error { override name = 'ChecksumError' }

export function createChecksum (type: string): Hash {
  const algorithm = algorithms[type.toLowerCase()]
  if (algorithm === undefined) throw new ChecksumError(`unsupported checksum type "${type}" (known: ${Object.keys(algorithms).join(', ')})`)
  return createHash(algorithm)
}

export async function checksumFile (path: string, type: string): Promise<string> {
  const hash = createChecksum(type)
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
