// nginx (Debian's nginx-light) serving an export directory on 127.0.0.1, for the benchmark: the shipped site
// (deploy/nginx/llsc-static.conf) when it is there and takes the edits below, else a minimal site of our own
// with the same lookup (`try_files $uri $uri/index.html $uri/index.json =404`). One worker process, as the
// live server is one Node process; no access log, as the live server logs no request by default.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectDir } from '../helpers/paths.js'

export const nginxBinary = '/usr/sbin/nginx'
export const shippedSite = join(projectDir, 'deploy', 'nginx', 'llsc-static.conf')

export interface StaticNginx { port: number, site: 'deploy/nginx/llsc-static.conf' | 'minimal', stop: () => Promise<void> }

const minimalSite = (port: number, root: string): string => `server {
    listen 127.0.0.1:${port};
    root ${root};
    gzip_static on;
    location / {
        try_files $uri $uri/index.html $uri/index.json =404;
    }
}
`

/** The shipped site on 127.0.0.1:`port` over `root`; null when one of its edits does not match exactly once. */
function shippedFor (port: number, root: string): string | null {
  if (!existsSync(shippedSite)) return null
  const edits: Array<[RegExp, string]> = [
    [/^(\s*listen )80;/m, `$1127.0.0.1:${port};`],
    [/^\s*listen \[::\]:80;\n/m, ''],
    [/^(\s*root )\/var\/www\/llsc;/m, `$1${root};`]
  ]
  let text = readFileSync(shippedSite, 'utf8')
  for (const [pattern, replacement] of edits) {
    if ((text.match(new RegExp(pattern.source, pattern.flags + 'g'))?.length ?? 0) !== 1) return null
    text = text.replace(pattern, replacement)
  }
  return text
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function accepts (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}

function configure (dir: string, site: string): string[] {
  for (const sub of ['temp', 'logs']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'site.conf'), site)
  // As root, workers would switch to nobody, who may not read the export in a private temporary directory.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : ''
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, 'temp', kind)};`).join('\n')
  writeFileSync(join(dir, 'nginx.conf'), `${user}worker_processes 1;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log off;
${temps}
  include ${join(dir, 'site.conf')};
}
`)
  return ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'logs', 'error.log')} warn;`]
}

/** nginx over `root` in `dir` (its configuration, logs and temporary files); the shipped site when it works. */
export async function startStaticNginx (dir: string, root: string): Promise<StaticNginx> {
  const port = await freePort()
  const shipped = shippedFor(port, root)
  let site: StaticNginx['site'] = 'minimal'
  let args: string[] | null = null
  if (shipped !== null) {
    // The shipped site is being written alongside: one that nginx refuses falls back to the minimal site.
    args = configure(dir, shipped)
    if (spawnSync(nginxBinary, [...args, '-t'], { encoding: 'utf8' }).status === 0) site = 'deploy/nginx/llsc-static.conf'
    else args = null
  }
  args ??= configure(dir, minimalSite(port, root))
  const check = spawnSync(nginxBinary, [...args, '-t'], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`)
  const child: ChildProcess = spawn(nginxBinary, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  for (const deadline = Date.now() + 10_000; !(await accepts(port));) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start (exit ${child.exitCode ?? 'none'})`)
    await sleep(50)
  }
  return {
    port,
    site,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM') // its own pid only
      await exited
    }
  }
}

export const haveNginx = (): boolean => existsSync(nginxBinary)
