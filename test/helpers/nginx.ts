// A real nginx (Debian's nginx-light, /usr/sbin/nginx) serving the project's site file on a loopback port,
// as the current user, in a temporary prefix; and a small HTTP client that can pick its source address.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect, createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from './paths.js'

export const nginxBinary = '/usr/sbin/nginx'

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

export interface Nginx {
  readonly port: number
  /** http://127.0.0.1:PORT + path. */
  url: (path?: string) => string
  /** The error log so far (for a failing assertion's message). */
  errorLog: () => string
}

/**
 * The site file as it would run on 127.0.0.1:`port` in front of the server on `upstreamPort`, its cache in
 * `cacheDir`. Each edit must match exactly once: a site file that drifted from them fails here, loudly.
 */
export function siteForTest (site: string, ports: { port: number, upstreamPort: number }, cacheDir: string): string {
  const edits: Array<[RegExp, string]> = [
    [/^(\s*server )127\.0\.0\.1:3000;/m, `$1127.0.0.1:${ports.upstreamPort};`],
    [/^(\s*listen )80;/m, `$1127.0.0.1:${ports.port};`],
    [/^\s*listen \[::\]:80;\n/m, ''],
    [/ \/var\/cache\/nginx\/llsc /, ` ${cacheDir} `]
  ]
  return edits.reduce((text, [pattern, replacement]) => {
    const found = text.match(new RegExp(pattern.source, pattern.flags + 'g'))?.length ?? 0
    if (found !== 1) throw new Error(`site file: expected one match of ${String(pattern)}, found ${found}`)
    return text.replace(pattern, replacement)
  }, site)
}

/** A free TCP port on 127.0.0.1 (free when asked; nginx binds it right after). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

/**
 * A prefix for nginx in `dir`: the http block of Debian's nginx.conf reduced to what a site needs, every path
 * under the prefix, `siteConf` included. Returns nginx's arguments. `tuning`: more http-level directives.
 */
export function nginxPrefix (dir: string, siteConf: string, options: { tuning?: string, accessLog?: boolean, connections?: number } = {}): string[] {
  for (const sub of ['cache', 'temp', 'logs']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'site.conf'), siteConf)
  // As root, workers would switch to nobody, who cannot enter the temporary directory: keep them as root.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : ''
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, 'temp', kind)};`).join('\n')
  writeFileSync(join(dir, 'nginx.conf'), `${user}worker_processes 1;
events { worker_connections ${options.connections ?? 256}; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${options.accessLog === false ? 'off' : join(dir, 'logs', 'access.log')};
${options.tuning ?? ''}${temps}
  include ${join(dir, 'site.conf')};
}
`)
  return ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'logs', 'error.log')} info;`]
}

export interface NginxProcess {
  /** The error log so far (for a failing assertion's message). */
  errorLog: () => string
  /** nginx -t's output (its warnings). */
  checked: string
  stop: () => Promise<void>
}

/** Checks the configuration (`nginx -t`), starts nginx and waits until `port` accepts connections. */
export async function runNginx (args: string[], port: number): Promise<NginxProcess> {
  const check = spawnSync(nginxBinary, [...args, '-t'], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`)
  const child = spawn(nginxBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM') // fast shutdown; by its pid only
    await exited
  }
  const errorLogPath = join(args[1]!, 'logs', 'error.log')
  const errorLog = (): string => { try { return readFileSync(errorLogPath, 'utf8') } catch { return '' } }
  // Ready when the port accepts connections; an nginx that exits first failed to start.
  for (const deadline = Date.now() + 10_000; !(await accepts(port));) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`nginx did not start (exit ${child.exitCode ?? 'none'}):\n${stderr}${errorLog()}`)
    }
    await sleep(50)
  }
  return { errorLog, checked: check.stderr, stop }
}

/** Starts nginx with the site file (`siteFile`) in front of 127.0.0.1:`upstreamPort`; stopped when the test ends. */
export async function startNginx (t: Teardown, siteFile: string, upstreamPort: number): Promise<Nginx> {
  const dir = tempDir(t, 'llsc-nginx-')
  const port = await freePort()
  const args = nginxPrefix(dir, siteForTest(readFileSync(siteFile, 'utf8'), { port, upstreamPort }, join(dir, 'cache')))
  const nginx = await runNginx(args, port)
  t.teardown(nginx.stop)
  return { port, url: (path = '/') => `http://127.0.0.1:${port}${path}`, errorLog: nginx.errorLog }
}

/** Whether 127.0.0.1:`port` accepts a connection. */
export async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

export interface Answer { status: number, headers: IncomingHttpHeaders, body: Buffer, text: string }

export interface Ask {
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** The source address of the connection: any 127/8 address works on Linux. */
  localAddress?: string
}

/** One request on its own connection (no agent, so `localAddress` holds), the body read whole and undecoded. */
export async function ask (url: string, options: Ask = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(15_000, () => { req.destroy(new Error(`no answer from ${url} within 15 s`)) })
    req.end(options.body)
  })
}
