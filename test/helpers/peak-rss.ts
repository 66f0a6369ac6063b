// Runs the ingest CLI in a child process and polls its peak RSS (VmHWM in /proc/<pid>/status) every
// 20 ms; a process that passes `killAtMiB` is killed at once, since the case has failed by then.
import { readFileSync } from 'node:fs'
import { spawnCli, type CliResult } from './cli.js'

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

export interface MeasuredCli { result: CliResult, peakMiB: number, killed: boolean }

export async function runCliMeasured (t: Teardown, args: string[], killAtMiB: number): Promise<MeasuredCli> {
  const cli = spawnCli(t, args)
  const pid = cli.child.pid ?? 0
  let peakKiB = 0
  let killed = false
  const poll = (): void => {
    try {
      const m = /VmHWM:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m !== null) peakKiB = Math.max(peakKiB, Number(m[1]))
    } catch { /* the process has exited */ }
    if (peakKiB >= killAtMiB * 1024 && !killed) {
      killed = true
      cli.child.kill('SIGKILL')
    }
  }
  const timer = setInterval(poll, 20)
  poll()
  try {
    return { result: await cli.done, peakMiB: Math.round(peakKiB / 1024), killed }
  } finally {
    clearInterval(timer)
  }
}
