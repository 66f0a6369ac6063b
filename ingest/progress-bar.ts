// On a terminal: a progress bar per repo on stderr, warnings and failures between the bars, the summary
// table at the end. The bar's library is loaded only here, so scripts and log collectors never pay for it.
import type cliProgress from 'cli-progress'
import { redactCredentials } from './fetcher.js'
import { disabledLine, type RunOutput, type Streams } from './run-output.js'
import { formatSummary } from './report.js'

export async function progressOutput ({ stdout, stderr }: Streams & { stderr: NodeJS.WriteStream }): Promise<RunOutput> {
  const progress = (await import('cli-progress')).default
  let bar: cliProgress.SingleBar | null = null
  const stopBar = (): void => { bar?.stop(); bar = null }
  const warn = (m: string): void => {
    stopBar()
    stderr.write(`warning: ${redactCredentials(m)}\n`)
  }
  return {
    log: { info: () => {}, warn },
    runStart: (disabled) => { for (const d of disabled) stderr.write(`${disabledLine(d)}\n`) },
    repoStart: (repo) => {
      bar = new progress.SingleBar({
        format: `${repo.productId} ${repo.name ?? repo.url} [{bar}] {percentage}% | {value}/{total} kB | {advisories} advisories`,
        stream: stderr,
        hideCursor: true
      }, progress.Presets.shades_classic)
      bar.start(1, 0, { advisories: 0 })
    },
    progress: (p) => {
      if (bar === null) return
      const kB = Math.ceil(p.bytes / 1024)
      if (p.phase === 'download') {
        // The size may be unknown while downloading: the bar grows with the bytes received.
        bar.setTotal(Math.max(1, kB))
        bar.update(kB)
        return
      }
      bar.setTotal(Math.max(1, Math.ceil(p.total / 1024)))
      bar.update(kB, { advisories: p.advisories })
    },
    repoDone: (result) => {
      stopBar()
      if (result.status === 'failed') warn(result.error ?? 'failed')
    },
    runDone: (summary) => { stdout.write(formatSummary(summary)) },
    runFailed: (_repos, message) => { stopBar(); stderr.write(`ingest: ${redactCredentials(message)}\n`) },
    nextCheck: (ms) => { stderr.write(`ingest: next check in ${Math.round(ms / 1000)} s\n`) }
  }
}
