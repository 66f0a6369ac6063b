// Rebuilds the bundled demo repositories from the real fixtures in ../shared/fixtures/updateinfo:
// a real repodata/ layout (repomd.xml with size and checksums, compressed updateinfo) per repo.
// Run: npx tsx ingest/demo/build.ts (needs the bzip2, xz and zstd commands).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', '..', '..', 'shared', 'fixtures', 'updateinfo')

interface DemoRepo { product: string, repo: string, files: string[], compression: 'gz' | 'bz2' | 'xz' | 'zst', hashedName: boolean }

const repos: DemoRepo[] = [
  { product: 'amzn2', repo: 'core-x86_64', files: ['vuln-list-update__amazon_updateinfo_1_item.xml', 'vuln-list-update__amazon_updateinfo_2_items.xml'], compression: 'gz', hashedName: false },
  { product: 'al2023', repo: 'core-x86_64', files: ['vuln-list-update__amazon_updateinfo_AL2022.xml', 'vuln-list-update__amazon_updateinfo_AL2023.xml'], compression: 'gz', hashedName: false },
  { product: 'rocky8', repo: 'baseos-x86_64', files: ['vuln-list-update__rocky_happy_updateinfo.xml'], compression: 'gz', hashedName: true },
  { product: 'alma9', repo: 'baseos-x86_64', files: ['vuls-data-update__alma_updateinfo_happy_almalinux_9_BaseOS_updateinfo.xml'], compression: 'xz', hashedName: true },
  { product: 'alma9', repo: 'appstream-x86_64', files: ['vuls-data-update__alma_updateinfo_happy_almalinux_9_AppStream_updateinfo.xml'], compression: 'xz', hashedName: true },
  { product: 'opensuse11', repo: 'update', files: ['libzypp__opensuse-11.0_Delta_updateinfo.xml'], compression: 'bz2', hashedName: true },
  { product: 'fedora43', repo: 'updates-x86_64', files: ['vuls-data-update__fedora_updateinfo_happy_fedora_linux_updates_43_Everything_x86_64_updateinfo.xml'], compression: 'zst', hashedName: true },
  { product: 'bottlerocket', repo: 'x86_64', files: ['vuln-list-update__bottlerocket_updateinfo.xml'], compression: 'gz', hashedName: true }
]

// Several files of one repo become one <updates> document, as Amazon publishes it (single line).
function combine (files: string[]): Buffer {
  if (files.length === 1) return readFileSync(join(fixtures, files[0]!))
  const updates = files.flatMap((f) => readFileSync(join(fixtures, f), 'utf8').match(/<update[\s>][\s\S]*?<\/update>/g) ?? [])
  return Buffer.from(`<?xml version="1.0" ?>\n<updates>${updates.join('')}</updates>\n`)
}

function compress (data: Buffer, kind: DemoRepo['compression']): Buffer {
  if (kind === 'gz') return gzipSync(data, { level: 9 })
  const command = { bz2: ['bzip2', ['-9', '-c']], xz: ['xz', ['-9', '-c']], zst: ['zstd', ['-19', '-q', '-c']] }[kind] as [string, string[]]
  return execFileSync(command[0], command[1], { input: data })
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')
const timestamp = 1700000000

for (const r of repos) {
  const root = join(here, 'repos', r.product, r.repo)
  rmSync(root, { recursive: true, force: true })
  mkdirSync(join(root, 'repodata'), { recursive: true })
  const open = combine(r.files)
  const packed = compress(open, r.compression)
  const name = r.hashedName ? `${sha256(packed)}-updateinfo.xml.${r.compression}` : `updateinfo.xml.${r.compression}`
  writeFileSync(join(root, 'repodata', name), packed)
  writeFileSync(join(root, 'repodata', 'repomd.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>${timestamp}</revision>
  <data type="updateinfo">
    <checksum type="sha256">${sha256(packed)}</checksum>
    <open-checksum type="sha256">${sha256(open)}</open-checksum>
    <location href="repodata/${name}"/>
    <timestamp>${timestamp}</timestamp>
    <size>${packed.length}</size>
    <open-size>${open.length}</open-size>
  </data>
</repomd>
`)
  process.stdout.write(`${r.product}/${r.repo}: ${name}\n`)
}
