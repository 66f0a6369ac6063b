// Reads a `node --cpu-prof` profile of the portal under wrk (serving-bench.ts --cpu-prof=DIR --only=ROUTE) and
// says where the time went: self time by function and by module, and the total time under named functions
// (hooks, handlers), in µs per request when told how many requests the profile covers.
//
//   node --import tsx test/bench/cpu-profile.ts PROFILE [--requests=N] [--last=SECONDS] [--top=40] [--under=name,name]
import { readFileSync } from 'node:fs'

interface Frame { functionName: string, url: string, lineNumber: number }
interface Node { id: number, callFrame: Frame, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface ProfileSummary {
  /** µs of samples that were not idle (the process working). */
  busyUs: number
  idleUs: number
  byFunction: Array<{ name: string, us: number }>
  byModule: Array<{ name: string, us: number }>
  /** Time in and under the named functions (each counted once per sample, however deep the recursion). */
  under: Array<{ name: string, us: number }>
}

function moduleOf (url: string): string {
  if (url === '') return '(native or V8)'
  if (url.startsWith('node:')) return url
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1]!
  const project = /\/(server|db|domain|bin|test)\/(.*)$/.exec(url)
  return project === null ? url : `${project[1]!}/${project[2]!}`
}

const label = (f: Frame): string => `${f.functionName === '' ? '(anonymous)' : f.functionName} ${moduleOf(f.url)}:${f.lineNumber + 1}`

/** `lastSeconds`: only the samples of the profile's last seconds (the load run, not the start and the warm-up). */
export function summarize (profile: Profile, underNames: string[] = [], lastSeconds = Infinity): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  const from = profile.endTime - lastSeconds * 1e6
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (at >= from) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  let busyUs = 0
  let idleUs = 0
  const byFunction = new Map<string, number>()
  const byModule = new Map<string, number>()
  const under = new Map<string, number>(underNames.map((n) => [n, 0]))
  for (const [id, us] of self) {
    const node = byId.get(id)!
    const name = node.callFrame.functionName
    if (name === '(idle)') { idleUs += us; continue }
    busyUs += us
    byFunction.set(label(node.callFrame), (byFunction.get(label(node.callFrame)) ?? 0) + us)
    const mod = name.startsWith('(') ? name : moduleOf(node.callFrame.url)
    byModule.set(mod, (byModule.get(mod) ?? 0) + us)
    if (underNames.length > 0) {
      const seen = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const fn = byId.get(at)!.callFrame.functionName
        if (under.has(fn) && !seen.has(fn)) { seen.add(fn); under.set(fn, under.get(fn)! + us) }
      }
    }
  }
  const sorted = (m: Map<string, number>): Array<{ name: string, us: number }> => [...m].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us)
  return { busyUs, idleUs, byFunction: sorted(byFunction), byModule: sorted(byModule), under: [...under].map(([name, us]) => ({ name, us })) }
}

function main (): void {
  const [file, ...rest] = process.argv.slice(2)
  if (file === undefined) throw new Error('usage: cpu-profile.ts PROFILE [--requests=N] [--last=SECONDS] [--top=40] [--under=name,name]')
  const args = new Map(rest.map((a) => a.replace(/^--/, '').split('=') as [string, string]))
  const requests = Number(args.get('requests') ?? 0)
  const top = Number(args.get('top') ?? 40)
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, args.get('under')?.split(',') ?? [], Number(args.get('last') ?? Infinity))
  const per = (us: number): string => requests > 0 ? `${(us / requests).toFixed(2).padStart(8)} µs/req` : `${(us / 1000).toFixed(1).padStart(9)} ms`
  const pct = (us: number): string => `${(100 * us / s.busyUs).toFixed(1).padStart(5)} %`
  const out: string[] = [`busy ${(s.busyUs / 1000).toFixed(0)} ms, idle ${(s.idleUs / 1000).toFixed(0)} ms${requests > 0 ? `, ${requests} requests: ${(s.busyUs / requests).toFixed(2)} µs each` : ''}`, '', 'by module (self time):']
  for (const m of s.byModule.slice(0, 25)) out.push(`  ${per(m.us)} ${pct(m.us)}  ${m.name}`)
  out.push('', 'by function (self time):')
  for (const f of s.byFunction.slice(0, top)) out.push(`  ${per(f.us)} ${pct(f.us)}  ${f.name}`)
  if (s.under.length > 0) {
    out.push('', 'in and under:')
    for (const u of s.under) out.push(`  ${per(u.us)} ${pct(u.us)}  ${u.name}`)
  }
  process.stdout.write(`${out.join('\n')}\n`)
}

if (process.argv[1]?.endsWith('cpu-profile.ts') === true) main()
