// Writing a file so that a reader sees the old bytes or the new, never part of them: the bytes go to a
// temporary name in the same directory, then a rename puts them in place in one step.
import { createHash } from 'node:crypto'
import { mkdir, open, rename, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** One temporary name per target, hidden and short (a long target name plus a suffix could pass 255 bytes). */
export function tempPathOf (path: string): string {
  return join(dirname(path), `${tempPrefix}${createHash('sha256').update(basename(path)).digest('hex').slice(0, 16)}`)
}

export const tempPrefix = '.llsc-tmp.'

/** `bytes` may come in pieces (a generator), so a large file never sits in memory whole. */
export async function writeFileAtomic (path: string, bytes: Buffer | Iterable<string>, makeDir = true): Promise<void> {
  if (makeDir) await mkdir(dirname(path), { recursive: true })
  const temp = tempPathOf(path)
  await (Buffer.isBuffer(bytes) ? writeWhole(temp, bytes) : writeFile(temp, bytes))
  await rename(temp, path)
}

/**
 * A buffer in as few writes as the kernel takes: fs/promises' writeFile writes 512 KB at a time, each piece
 * waiting for a turn of the event loop, so while documents render a 60 MB OSV bundle took 0.6 s to write, not 0.1.
 */
async function writeWhole (path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, 'w')
  try {
    for (let at = 0; at < bytes.length;) at += (await file.write(bytes, at, bytes.length - at)).bytesWritten
  } finally {
    await file.close()
  }
}
