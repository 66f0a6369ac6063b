// Small hand-made products for the issue-16 tests: updateinfo.xml from a few fields per advisory, written as a
// real repo, and a JSON configuration naming the products with their own keys (packageManager, signingKey, ...).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeRepo } from './repo-builder.js'

export interface LabPackage { name: string, version?: string, release?: string, epoch?: string, arch?: string, src?: string, filename?: string }
export interface LabReference { type: string, id?: string, href?: string, title?: string }

export interface LabAdvisory {
  id: string
  title?: string
  type?: string
  severity?: string
  issued?: string
  updated?: string
  description?: string
  references?: LabReference[]
  packages?: LabPackage[]
}

const x = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const attrs = (o: Record<string, string | undefined>): string => Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${x(v!)}"`).join('')

export function labXml (advisories: LabAdvisory[]): string {
  const updates = advisories.map((a) => `  <update status="final" type="${a.type ?? 'security'}" version="1">
    <id>${x(a.id)}</id>
    <title>${x(a.title ?? `${a.id} update`)}</title>
    <issued date="${a.issued ?? '2024-05-01 10:00:00'}"/>${a.updated === undefined ? '' : `\n    <updated date="${a.updated}"/>`}
    <severity>${a.severity ?? 'Important'}</severity>
    <description>${x(a.description ?? 'A fix.')}</description>
    <references>${(a.references ?? []).map((r) => `<reference${attrs({ href: r.href, id: r.id, type: r.type, title: r.title })}/>`).join('')}</references>
    <pkglist><collection short="lab">${(a.packages ?? [{ name: 'tool' }]).map((p) => `
      <package${attrs({ name: p.name, epoch: p.epoch ?? '0', version: p.version ?? '1.0', release: p.release ?? '1', arch: p.arch ?? 'x86_64', src: p.src })}>${p.filename === undefined ? '' : `<filename>${x(p.filename)}</filename>`}</package>`).join('')}
    </collection></pkglist>
  </update>`)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${updates.join('\n')}\n</updates>\n`
}

/** A repo of these advisories under `dir/name`. */
export function writeLabRepo (dir: string, name: string, advisories: LabAdvisory[]): string {
  const root = join(dir, name)
  writeRepo(root, labXml(advisories))
  return root
}

/** A JSON configuration at dir/config.json: each product with its repo folders (relative to dir) and its own keys. */
export function writeConfig (dir: string, products: Array<Record<string, unknown> & { id: string, repos: string[] }>): string {
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify({ products: products.map(({ repos, ...p }) => ({ ...p, repos: repos.map((r) => ({ baseurl: r })) })) }, null, 2))
  return file
}
