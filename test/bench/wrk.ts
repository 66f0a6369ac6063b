// wrk (Debian package `wrk`, written in C): one thread, 64 connections, so the load generator is not the
// bottleneck (docs/benchmarks.md). Runs it and reads its report: requests per second, latency percentiles, errors.
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'

export const wrkBinary = '/usr/bin/wrk'

export interface WrkFigures { rps: number, p50: number, p99: number, requests: number, errors: number }

/** Latency as wrk prints it (`596.00us`, `2.08ms`, `1.20s`), in milliseconds. */
function ms (text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (m === null) throw new Error(`wrk: cannot read the latency "${text}"`)
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm']
}

export function parseWrk (report: string): WrkFigures {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(report)
  const requests = /^\s*(\d+) requests in /m.exec(report)
  const p50 = /^\s+50%\s+(\S+)/m.exec(report)
  const p99 = /^\s+99%\s+(\S+)/m.exec(report)
  if (rps === null || requests === null || p50 === null || p99 === null) throw new Error(`wrk: unexpected report:\n${report}`)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(report)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report)
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
  return { rps: Number(rps[1]), p50: ms(p50[1]!), p99: ms(p99[1]!), requests: Number(requests[1]), errors: non2xx + socketErrors }
}

/** `script`: a Lua file (wrkScript) for a request other than a GET of `url`. */
export async function wrk (url: string, seconds: number, headers: Record<string, string> = {}, connections = 64, script?: string): Promise<WrkFigures> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), ...(script === undefined ? [] : ['-s', script]), url]
  const child = spawn(wrkBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
  const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('close', resolve) })
  if (code !== 0) throw new Error(`wrk exited ${String(code)}:\n${out}`)
  return parseWrk(out)
}

export const haveWrk = (): boolean => existsSync(wrkBinary)

const luaString = (text: string): string => {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`wrk script: only printable ASCII is written into a script (${JSON.stringify(text)})`)
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * Writes a wrk Lua script to `file` for what a plain GET cannot say: a method and a body read from a file
 * (`POST` of the query), or a list of paths asked for in turn over the same connections (a mixed load).
 */
export function wrkScript (file: string, request: { method?: string, bodyFile?: string, paths?: string[] }): string {
  const lines: string[] = []
  if (request.method !== undefined) lines.push(`wrk.method = ${luaString(request.method)}`)
  if (request.bodyFile !== undefined) lines.push(`local f = assert(io.open(${luaString(request.bodyFile)}, "rb"))`, 'wrk.body = f:read("*a")', 'f:close()')
  if (request.paths !== undefined) {
    lines.push(`local paths = { ${request.paths.map(luaString).join(', ')} }`, 'local i = 0')
    lines.push('request = function ()', '  i = i % #paths + 1', '  return wrk.format(nil, paths[i])', 'end')
  }
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}
