// The source package name of a binary package, from its src attribute ("openssl-1.0.2k-19.amzn2.src.rpm" -> "openssl").

/** Null when src is missing or is not an RPM file name (name-version-release[.src|.nosrc].rpm). */
export function sourceName (src: string | null | undefined): string | null {
  if (src === null || src === undefined) return null
  let base = src.trim()
  const slash = base.lastIndexOf('/')
  if (slash >= 0) base = base.slice(slash + 1)
  if (!base.endsWith('.rpm')) return null
  base = base.slice(0, -'.rpm'.length)
  base = base.replace(/\.(?:src|nosrc)$/, '')
  const releaseDash = base.lastIndexOf('-')
  if (releaseDash <= 0) return null
  const versionDash = base.lastIndexOf('-', releaseDash - 1)
  if (versionDash <= 0) return null
  return base.slice(0, versionDash)
}

/**
 * The source packages an advisory fixes, as ALAS lists them: the src attribute's names and any arch="src"
 * packages; when the updateinfo gives neither (Amazon's often does not), the binary names that are not
 * "<another listed name>-<suffix>" (kernel-devel, kernel-headers -> kernel).
 */
export function affectedSources (packages: Array<{ name: string, arch: string, srcName: string | null }>): string[] {
  const sources = new Set<string>()
  for (const p of packages) {
    if (p.srcName !== null) sources.add(p.srcName)
    else if (p.arch === 'src' || p.arch === 'nosrc') sources.add(p.name)
  }
  if (sources.size === 0) {
    const names = new Set(packages.map((p) => p.name))
    for (const name of names) {
      if (![...names].some((other) => other !== name && name.startsWith(`${other}-`))) sources.add(name)
    }
  }
  return [...sources].sort()
}
