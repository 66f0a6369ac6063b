// Installed packages as ops tooling sends them: `rpm -qa` lines (name-[epoch:]version-release.arch) or
// objects; every line that cannot be read gets a reason instead of failing the whole request.
import { nevra } from './nevra.js'

/** `epoch` is null when the input did not say (plain `rpm -qa` never prints it); `(none)` and `0:` say 0. */
export interface InstalledPackage { name: string, epoch: string | null, version: string, release: string, arch: string }

export type Parsed = { ok: true, pkg: InstalledPackage } | { ok: false, reason: string }

// Architectures rpm builds for; anything else after the last dot is not an architecture.
const arches = new Set(['noarch', 'x86_64', 'i386', 'i486', 'i586', 'i686', 'athlon', 'aarch64', 'armv7hl', 'armv7l', 'armv6hl',
  'ppc', 'ppc64', 'ppc64le', 'ppc64p7', 's390', 's390x', 'riscv64', 'loongarch64', 'ia64', 'x86_64_v2', 'x86_64_v3', 'x86_64_v4', 'src', 'nosrc'])

const epochRe = /^(?:\d{1,10}|\(none\))$/

/** Reads `name-[epoch:]version-release.arch`; `epoch:name-version-release.arch` (yum's form) works too. */
export function parseRpmLine (input: string): Parsed {
  let line = input.trim()
  if (line === '') return { ok: false, reason: 'empty line' }
  if (/\s/.test(line)) return { ok: false, reason: 'contains spaces: give one package per line, as rpm -qa prints them' }
  let epoch: string | null = null
  const yumEpoch = /^(\d{1,10}):(.+)$/.exec(line)
  if (yumEpoch !== null && yumEpoch[2]!.includes('-')) { epoch = yumEpoch[1]!; line = yumEpoch[2]! }
  const dot = line.lastIndexOf('.')
  const arch = dot === -1 ? '' : line.slice(dot + 1)
  if (!arches.has(arch)) return { ok: false, reason: `no architecture at the end (rpm -qa prints name-version-release.arch, for example openssl-1.0.2k-19.amzn2.x86_64)${arch === '' ? '' : `: "${arch}" is not one`}` }
  const nvr = line.slice(0, dot)
  const releaseDash = nvr.lastIndexOf('-')
  const versionDash = releaseDash <= 0 ? -1 : nvr.lastIndexOf('-', releaseDash - 1)
  if (versionDash <= 0) return { ok: false, reason: 'expected name-version-release.arch: a name, a version and a release separated by "-"' }
  const name = nvr.slice(0, versionDash)
  let version = nvr.slice(versionDash + 1, releaseDash)
  const release = nvr.slice(releaseDash + 1)
  const colon = version.indexOf(':')
  if (colon !== -1) {
    const e = version.slice(0, colon)
    if (epoch !== null || !epochRe.test(e)) return { ok: false, reason: `"${e}" is not an epoch (a number before ":")` }
    epoch = e === '(none)' ? '0' : e
    version = version.slice(colon + 1)
  }
  return checked({ name, epoch, version, release, arch })
}

/**
 * An object entry: name, version, release and arch are required. An absent epoch is "not given"; null and
 * "(none)" say the package has none (0), as rpm's %{EPOCH} prints it.
 */
export function parsePackageObject (value: Record<string, unknown>): Parsed {
  for (const key of ['name', 'version', 'release', 'arch']) {
    if (typeof value[key] !== 'string' || value[key] === '') return { ok: false, reason: `"${key}" must be a non-empty string` }
  }
  const epochValue = value.epoch === null || value.epoch === '(none)' ? '0' : value.epoch
  const epoch = typeof epochValue === 'number' && Number.isInteger(epochValue) && epochValue >= 0 ? String(epochValue) : epochValue
  if (epoch !== undefined && (typeof epoch !== 'string' || !/^\d{1,10}$/.test(epoch))) return { ok: false, reason: '"epoch" must be a whole number' }
  return checked({ name: value.name as string, epoch: epoch ?? null, version: value.version as string, release: value.release as string, arch: value.arch as string })
}

function checked (pkg: InstalledPackage): Parsed {
  for (const [key, text] of Object.entries(pkg)) {
    if (text === null) continue
    if (text.length > 256) return { ok: false, reason: `${key} is longer than 256 characters` }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(text)) return { ok: false, reason: `${key} holds control characters` }
  }
  if (pkg.version === '' || pkg.release === '' || pkg.name === '') return { ok: false, reason: 'name, version and release must not be empty' }
  return { ok: true, pkg }
}

/** As the input said it: an epoch shown only when one was given and it is not 0. */
export function formatInstalled (p: InstalledPackage): string {
  return nevra({ ...p, epoch: p.epoch ?? '' })
}
