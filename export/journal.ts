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
  /** Notes waiting for the write in flight; they go out together in the next one. */
  private queued = ''
  private waiting: Array<{ resolve: () => void, reject: (err: unknown) => void }> = []
  /** Ends when every note so far is written or has failed (never rejects: each note's caller gets its failure). */
  private drained: Promise<void> = Promise.resolve()
  private writing = false
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

  /** Notes files before they are written (awaited, so the notes are on disk before the files change). */
  async record (...files: string[]): Promise<void> {
    this.recorded += files.length
    await this.append(files.map((file) => `${JSON.stringify(file)}\n`).join(''))
  }

  /** The run is complete (its manifest written): the journal goes. */
  async close (): Promise<void> {
    await this.drained
    await this.handle.close()
    await unlink(this.path)
  }

  /** A failed run: its journal stays when it lists files (they stay tracked for the next run), else it goes. */
  async abandon (): Promise<void> {
    await this.drained
    await this.handle.close()
    if (this.recorded === 0 && this.leftover.length === 0) await unlink(this.path).catch(() => {})
  }

  /**
   * Appends in order, one write at a time; notes that come while a write is in flight go out together in the
   * next one. One write each, queued on libuv's threads behind the documents' compression, held every file of a
   * run behind the notes before it: one revised advisory at 20,000 waited 0.9 s to note its OSV bundle.
   */
  private async append (text: string): Promise<void> {
    this.queued += text
    const written = new Promise<void>((resolve, reject) => { this.waiting.push({ resolve, reject }) })
    if (!this.writing) this.drained = this.drain()
    await written
  }

  private async drain (): Promise<void> {
    this.writing = true
    while (this.queued !== '') {
      const text = this.queued
      const waiting = this.waiting
      this.queued = ''
      this.waiting = []
      try {
        await this.handle.write(text)
        for (const w of waiting) w.resolve()
      } catch (err) {
        for (const w of waiting) w.reject(err)
      }
    }
    this.writing = false
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
