// The run journal, `.llsc-export.running` in the output directory: made when an export starts (so two
// exports never write one directory at once), holding its pid and then every file it is about to write;
// removed once the manifest is written. A journal left behind means a run was killed: the next run removes
// the temporary files it may have left and treats the paths it lists like manifest entries (deleted when
// no longer produced), so no file a killed run wrote is left untracked.
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { tempPathOf } from './atomic-file.js'

export const journalName = '.llsc-export.running'

export class ExportLockedError extends Error { override name = 'ExportLockedError' }

export class Journal {
  private tail: Promise<unknown> = Promise.resolve()
  private recorded = 0

  private constructor (private readonly path: string, private readonly handle: FileHandle, readonly leftover: string[]) {}

  /** Takes the directory; `leftover` lists what a killed run was writing (its temporary files are gone). */
  static async open (outDir: string): Promise<Journal> {
    const path = join(outDir, journalName)
    let leftover: string[] = []
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(path, 'wx')
        const journal = new Journal(path, handle, leftover)
        await journal.append(`pid ${process.pid}\n${leftover.map((p) => `${JSON.stringify(p)}\n`).join('')}`)
        return journal
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err
      }
      leftover = await takeStale(path, outDir)
    }
  }

  /** Notes a file before it is written (awaited, so the note is on disk before the file changes). */
  async record (file: string): Promise<void> {
    this.recorded++
    await this.append(`${JSON.stringify(file)}\n`)
  }

  /** The run is complete (its manifest written): the journal goes. */
  async close (): Promise<void> {
    await this.tail
    await this.handle.close()
    await unlink(this.path)
  }

  /** A failed run: its journal stays when it lists files (they stay tracked for the next run), else it goes. */
  async abandon (): Promise<void> {
    await this.tail.catch(() => {})
    await this.handle.close()
    if (this.recorded === 0 && this.leftover.length === 0) await unlink(this.path).catch(() => {})
  }

  private async append (text: string): Promise<void> {
    const next = this.tail.then(async () => await this.handle.write(text))
    this.tail = next.catch(() => {})
    await next
  }
}

/** A journal whose process is gone: the paths it lists, with their temporary files removed. */
async function takeStale (path: string, outDir: string): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n')
  const pid = Number(/^pid (\d+)$/.exec(lines[0] ?? '')?.[1] ?? NaN)
  if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
    throw new ExportLockedError(`another export (pid ${pid}) is writing ${outDir}; if no export is running, remove ${path}`)
  }
  const files = new Set<string>()
  for (const line of lines.slice(1)) {
    try {
      const file: unknown = JSON.parse(line)
      if (typeof file === 'string' && file.split('/').every((s) => s !== '' && s !== '.' && s !== '..')) files.add(file)
    } catch {} // the last line of a killed run may be cut short
  }
  for (const file of files) await unlink(tempPathOf(join(outDir, file))).catch(() => {})
  await unlink(path)
  return [...files]
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
