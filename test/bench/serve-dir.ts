// A plain static server over a directory with Node's defaults (keep-alive on), as a mirror would answer:
// the benches' yum repos are fetched from it over loopback.
import { createServer, type Server } from 'node:http'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export async function serveDir (root: string): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    try {
      const body = readFileSync(join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!)))
      res.writeHead(200, { 'content-length': body.length }).end(body)
    } catch { res.writeHead(404).end() }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }
}
