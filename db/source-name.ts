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
