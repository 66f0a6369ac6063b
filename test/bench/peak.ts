// Peak RSS of a child process from /proc (VmHWM is the kernel's own high-water mark), polled every 10 ms.
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Starts polling; the function it returns stops and gives the peak in MB. */
export function watchPeak (child: ChildProcess): () => number {
  let peakKb = 0
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m !== null) peakKb = Math.max(peakKb, Number(m[1]))
    } catch {}
  }, 10)
  return () => { clearInterval(timer); return peakKb / 1024 }
}
