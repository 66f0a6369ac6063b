// nginx (Debian's nginx-light) serving an export directory on 127.0.0.1, for the benchmark: the shipped site
// (deploy/nginx/llsc-static.conf) when it is there and takes the edits below, else a minimal site of our own
// with the same lookup (`try_files $uri $uri/index.html $uri/index.json =404`). One worker process, as the
// live server is one Node process; no access log, as the live server logs no request by default.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, nginxBinary, nginxPrefix, runNginx } from '../helpers/nginx.js'
import { projectDir } from '../helpers/paths.js'
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

/** The bench's nginx: one worker, no access log, sendfile, room for wrk's connections. */
const configure = (dir: string, site: string): string[] =>
  nginxPrefix(dir, site, { accessLog: false, connections: 1024, tuning: '  sendfile on;\n  tcp_nopush on;\n' })

/** nginx over `root` in `dir` (its configuration, logs and temporary files); the shipped site when it works. */
export async function startStaticNginx (dir: string, root: string): Promise<StaticNginx> {
  const port = await freePort()
  const shipped = shippedFor(port, root)
  let site: StaticNginx['site'] = 'minimal'
  let args: string[] | null = null
  if (shipped !== null) {
    // A shipped site that nginx refuses falls back to the minimal site.
    args = configure(dir, shipped)
    if (spawnSync(nginxBinary, [...args, '-t'], { encoding: 'utf8' }).status === 0) site = 'deploy/nginx/llsc-static.conf'
    else args = null
  }
  args ??= configure(dir, minimalSite(port, root))
  const nginx = await runNginx(args, port)
  return { port, site, stop: nginx.stop }
}

export const haveNginx = (): boolean => existsSync(nginxBinary)
