// The scale run's measurements against a running server: one request at a time (latency of an answer the
// server must make, and of one it has cached), the event loop's worst delay as the server itself records it
// (prom-client's nodejs_eventloop_lag_max_seconds, which reads perf_hooks.monitorEventLoopDelay and starts
// again at every scrape of /metrics), and a whole streamed answer read to its end.
import { request } from 'node:http'

export interface Answer { status: number, bytes: number, ms: number }

interface Init { method?: string, body?: string, headers?: Record<string, string>, /** Stop reading (and close) after this long. */ abortAfterMs?: number }

/** One request on a fresh connection; the body is read to its end (or abortAfterMs) and counted, not kept. */
export async function fetchOnce (base: string, path: string, init: Init = {}): Promise<Answer> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    let bytes = 0
    let status = 0
    const done = (): void => { clearTimeout(timer); resolve({ status, bytes, ms: performance.now() - started }) }
    const req = request(base + path, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      status = res.statusCode ?? 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', done)
      res.on('error', reject)
    })
    const timer = init.abortAfterMs === undefined ? undefined : setTimeout(() => { req.destroy(); done() }, init.abortAfterMs)
    // After the deadline the promise is settled: the reset that destroy() causes changes nothing.
    req.on('error', reject)
    req.end(init.body)
  })
}

export interface Latency { samples: number, p50: number, p99: number, max: number, bytes: number }

export function percentiles (ms: number[], bytes: number): Latency {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, bytes }
}

/** Each path asked once, in turn; anything but 200 stops the run (a figure of error pages means nothing). */
export async function timeEach (base: string, paths: string[]): Promise<Latency> {
  const ms: number[] = []
  let bytes = 0
  for (const path of paths) {
    const answer = await fetchOnce(base, path)
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`)
    ms.push(answer.ms)
    bytes = answer.bytes
  }
  return percentiles(ms, bytes)
}

/** The server's worst event-loop delay since the previous scrape, in ms. */
export async function eventLoopMaxMs (base: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    request(`${base}/metrics`, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (s: string) => { body += s })
      res.on('end', () => { resolve(body) })
    }).on('error', reject).end()
  })
  const m = /^nodejs_eventloop_lag_max_seconds\s+([\d.e+-]+)/m.exec(text)
  if (m === null) throw new Error('/metrics has no nodejs_eventloop_lag_max_seconds')
  return Number(m[1]) * 1000
}

/**
 * Runs `work` while a probe asks `/healthz` every 20 ms (what another client would wait meanwhile), and
 * reads the server's own worst event-loop delay for that span: /metrics is scraped just before and after.
 */
export async function underWatch<T> (base: string, work: () => Promise<T>): Promise<{ result: T, loopMaxMs: number, probeMaxMs: number, probes: number }> {
  await eventLoopMaxMs(base)
  const state = { running: true }
  let probeMaxMs = 0
  let probes = 0
  const probe = (async () => {
    while (state.running) {
      const answer = await fetchOnce(base, '/healthz')
      probeMaxMs = Math.max(probeMaxMs, answer.ms)
      probes++
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  try {
    const result = await work()
    return { result, loopMaxMs: await eventLoopMaxMs(base), probeMaxMs, probes }
  } finally {
    state.running = false
    await probe
  }
}
