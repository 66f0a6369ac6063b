// dnf as the reference for "which advisories apply": dummy RPMs, a throwaway rpm database, a file:// repo
// with an updateinfo written by the test, and dnf's `updateinfo list` read back as (advisory, NEVRA) pairs.
import { execFile, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A package as name-[epoch:]version-release.arch; epoch undefined means the spec or updateinfo names none. */
export interface Nevra { name: string, epoch?: number, version: string, release: string, arch: string }

/** The commands the oracle runs, with the Debian package that brings each. */
export const oracleTools: ReadonlyArray<{ command: string, debian: string }> = [
  { command: 'rpmbuild', debian: 'rpm' },
  { command: 'rpm', debian: 'rpm' },
  { command: 'dnf', debian: 'dnf' },
  { command: 'createrepo_c', debian: 'createrepo-c' },
  { command: 'modifyrepo_c', debian: 'createrepo-c' }
]

/** The tools that cannot be run, as "command (Debian package)". */
export function missingTools (): string[] {
  return oracleTools
    .filter(({ command }) => spawnSync(command, ['--version'], { stdio: 'ignore' }).error !== undefined)
    .map(({ command, debian }) => `${command} (Debian package ${debian})`)
}

/** Reads name-[epoch:]version-release.arch, as rpm -qa and dnf print it. */
export function parseNevra (text: string): Nevra {
  const dot = text.lastIndexOf('.')
  const releaseDash = text.lastIndexOf('-', dot)
  const versionDash = text.lastIndexOf('-', releaseDash - 1)
  if (dot <= 0 || releaseDash <= 0 || versionDash <= 0) throw new Error(`not a NEVRA: ${text}`)
  const evr = text.slice(versionDash + 1, releaseDash)
  const colon = evr.indexOf(':')
  return {
    name: text.slice(0, versionDash),
    ...(colon !== -1 && { epoch: Number(evr.slice(0, colon)) }),
    version: evr.slice(colon + 1),
    release: text.slice(releaseDash + 1, dot),
    arch: text.slice(dot + 1)
  }
}

/** The NEVRA as dnf prints it: the epoch only when it is not 0 (observed: `e-1:0.5-1.x86_64`, `e-2.0-1.x86_64`). */
export function formatNevra (p: Nevra): string {
  return `${p.name}-${(p.epoch ?? 0) === 0 ? '' : `${p.epoch}:`}${p.version}-${p.release}.${p.arch}`
}

/** One spelling for both sides: `0:` dropped, any other epoch kept. */
export const normalNevra = (text: string): string => formatNevra(parseNevra(text))

export interface OracleDirs { base: string, home: string, root: string, repo: string, rpms: string, specs: string, cache: string }

/** The directory layout under `base`, with the HOME that rpm and dnf share. */
export function oracleDirs (base: string): OracleDirs {
  const dirs = { base, home: join(base, 'home'), root: join(base, 'root'), repo: join(base, 'repo'), rpms: join(base, 'rpms'), specs: join(base, 'specs'), cache: join(base, 'dnf-cache') }
  for (const dir of [dirs.home, dirs.root, dirs.repo, dirs.rpms, dirs.specs]) mkdirSync(dir, { recursive: true })
  // Debian's rpm keeps its database under ~/.rpmdb unless told otherwise; dnf reads <root>/var/lib/rpm.
  writeFileSync(join(dirs.home, '.rpmmacros'), '%_dbpath /var/lib/rpm\n')
  // dnf reads the host's /etc/dnf/dnf.conf unless given one: this one sets nothing.
  writeFileSync(join(dirs.base, 'dnf.conf'), '[main]\n')
  return dirs
}

// A minimal environment: no proxy variables, no locale surprises, one HOME for rpm, rpmbuild and dnf.
const envFor = (dirs: OracleDirs): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dirs.home, LC_ALL: 'C.UTF-8', TZ: 'UTC' })

export async function run (dirs: OracleDirs, command: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(command, args, { env: envFor(dirs), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${command} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr}${stdout}`))
      else resolve(stdout)
    })
  })
}

export interface RpmToBuild extends Nevra {
  /** Files the package owns, created empty by %install (absolute paths). */
  files?: string[]
}

let batchCount = 0

/**
 * Builds empty binary RPMs with `rpmbuild -bb --target ARCH`, returning their paths in the order given.
 * One spec per arch holds many packages as subpackages, each with its own Epoch, Version and Release (the
 * spec's own package has no %files and is not built): about ten rpmbuild runs instead of a hundred.
 */
export async function buildRpms (dirs: OracleDirs, packages: RpmToBuild[]): Promise<string[]> {
  // A spec cannot hold one name twice: several versions of a name go to several specs.
  const batches: Array<{ arch: string, names: Set<string>, members: number[] }> = []
  packages.forEach((p, i) => {
    let batch = batches.find((b) => b.arch === p.arch && !b.names.has(p.name))
    if (batch === undefined) batches.push(batch = { arch: p.arch, names: new Set(), members: [] })
    batch.names.add(p.name)
    batch.members.push(i)
  })
  const paths: string[] = new Array(packages.length)
  await inParallel(batches, 4, async (batch) => {
    const n = ++batchCount
    const members = batch.members.map((i) => packages[i]!)
    const files = members.flatMap((p) => p.files ?? [])
    const spec = [
      `Name: oracle-batch-${n}`, 'Version: 0', 'Release: 0', 'Summary: Dummy packages for the dnf oracle test', 'License: MIT',
      ...(batch.arch === 'noarch' ? ['BuildArch: noarch'] : []),
      '%description', 'Dummy packages for the dnf oracle test.', '',
      ...members.flatMap((p) => [
        `%package -n ${p.name}`,
        ...(p.epoch === undefined ? [] : [`Epoch: ${p.epoch}`]),
        `Version: ${p.version}`, `Release: ${p.release}`, `Summary: Dummy ${p.name}`,
        `%description -n ${p.name}`, `Dummy ${p.name}.`, ''
      ]),
      ...(files.length === 0 ? [] : ['%install', ...files.map((f) => `mkdir -p %{buildroot}${f.slice(0, f.lastIndexOf('/'))} && touch %{buildroot}${f}`), '']),
      ...members.flatMap((p) => [`%files -n ${p.name}`, ...(p.files ?? [])]),
      ''
    ].join('\n')
    const specPath = join(dirs.specs, `batch-${n}.spec`)
    writeFileSync(specPath, spec)
    const out = join(dirs.rpms, String(n))
    await run(dirs, 'rpmbuild', ['-bb', '--target', batch.arch, '--define', `_topdir ${join(dirs.base, 'rpmbuild', String(n))}`, '--define', `_rpmdir ${out}`,
      '--define', '_build_name_fmt %%{NAME}.rpm', specPath])
    batch.members.forEach((i) => { paths[i] = join(out, `${packages[i]!.name}.rpm`) })
  })
  return paths
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
export async function inParallel<T, R> (items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** A throwaway rpm database holding exactly these packages (one transaction: several versions of a name are fine). */
export async function installRpms (dirs: OracleDirs, rpmFiles: string[]): Promise<void> {
  await run(dirs, 'rpm', ['--root', dirs.root, '--initdb'])
  await run(dirs, 'rpm', ['--root', dirs.root, '-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', ...rpmFiles])
}

/** `rpm -qa` as ops tooling sends it (no epochs), or with every epoch written out (`0:` included). */
export async function queryInstalled (dirs: OracleDirs, withEpoch: boolean): Promise<string> {
  const format = withEpoch ? ['--qf', '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\\n'] : []
  return await run(dirs, 'rpm', ['--root', dirs.root, '-qa', ...format])
}

export interface AdvisorySpec {
  id: string
  type?: 'security' | 'bugfix' | 'enhancement'
  severity?: string
  packages: Nevra[]
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** updateinfo.xml for the advisories; a package without epoch gets no epoch attribute. */
export function updateinfoXml (advisories: AdvisorySpec[]): string {
  const updates = advisories.map((a, i) => {
    const day = String(1 + (i % 28)).padStart(2, '0')
    const packages = a.packages.map((p) => {
      const epoch = p.epoch === undefined ? '' : ` epoch="${p.epoch}"`
      return `        <package name="${escapeXml(p.name)}"${epoch} version="${escapeXml(p.version)}" release="${escapeXml(p.release)}" arch="${p.arch}" src="${escapeXml(`${p.name}-${p.version}-${p.release}.src.rpm`)}">
          <filename>${escapeXml(`${p.name}-${p.version}-${p.release}.${p.arch}.rpm`)}</filename>
        </package>`
    }).join('\n')
    return `  <update from="oracle@example.org" status="final" type="${a.type ?? 'security'}" version="1.4">
    <id>${escapeXml(a.id)}</id>
    <title>${escapeXml(`${a.id}: dummy update`)}</title>
    <issued date="2024-01-${day} 00:00:00"/>
    <updated date="2024-02-${day} 00:00:00"/>
${a.severity === undefined ? '' : `    <severity>${escapeXml(a.severity)}</severity>\n`}    <description>Dummy advisory for the dnf oracle test.</description>
    <references/>
    <pkglist>
      <collection short="oracle">
        <name>Oracle test</name>
${packages}
      </collection>
    </pkglist>
  </update>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${updates.join('\n')}\n</updates>\n`
}

/** A yum repo of these RPMs with the updateinfo added as modifyrepo_c adds it. */
export async function makeRepo (dirs: OracleDirs, rpmFiles: string[], updateinfo: string): Promise<void> {
  rpmFiles.forEach((file, i) => { copyFileSync(file, join(dirs.repo, `${i}-${file.split('/').at(-1)!}`)) })
  await run(dirs, 'createrepo_c', ['--quiet', '--no-database', dirs.repo])
  const file = join(dirs.base, 'updateinfo.xml')
  writeFileSync(file, updateinfo)
  await run(dirs, 'modifyrepo_c', ['--mdtype=updateinfo', file, join(dirs.repo, 'repodata')])
}

/**
 * `dnf updateinfo list --available` against the installroot and the file:// repo, nothing else: no repo
 * files (reposdir=/dev/null), no plugins, the host's dnf.conf replaced. dnf puts cachedir under the
 * installroot (<root><cachedir>), so the cache stays inside the temporary directory either way.
 */
export async function dnfUpdateinfoList (dirs: OracleDirs): Promise<string> {
  return await run(dirs, 'dnf', ['-q', '-c', join(dirs.base, 'dnf.conf'), '--noplugins', '--installroot', dirs.root, '--releasever=1',
    '--forcearch=x86_64', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${dirs.cache}`, '--setopt=skip_if_unavailable=False',
    `--repofrompath=t,file://${dirs.repo}`, '--setopt=t.gpgcheck=0', '--disablerepo=*', '--enablerepo=t',
    'updateinfo', 'list', '--available'])
}

export interface DnfLine { id: string, label: string, nevra: string }

/** dnf's lines `ADVISORY-ID  Type/Sev  name-[epoch:]version-release.arch`; anything else is an error. */
export function parseDnfList (text: string): DnfLine[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const fields = line.trim().split(/\s+/)
    if (fields.length !== 3) throw new Error(`unexpected line from dnf updateinfo list: ${JSON.stringify(line)}`)
    return { id: fields[0]!, label: fields[1]!, nevra: fields[2]! }
  })
}
