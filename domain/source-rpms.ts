// The source RPMs (SRPMs) of a fix, as ALAS lists them under "src:" (`kernel-4.9.76-38.79.amzn2.src`: the
// file name without .rpm, no epoch, as in the file's name): the packages with arch src or nosrc, and the `src`
// attributes that name a source RPM. Fedora's `src` of a binary package is the binary RPM's own URL, so only a
// name ending in .src.rpm or .nosrc.rpm counts.

export interface SourceRpmInput { name: string, version: string, release: string, arch: string, src: string | null }

/** `openssl-3.0.8-1.el9.src`, sorted, each once. */
export function sourceRpms (packages: SourceRpmInput[]): string[] {
  const found = new Set<string>()
  for (const p of packages) {
    if (p.arch === 'src' || p.arch === 'nosrc') {
      found.add(`${p.name}-${p.version}-${p.release}.${p.arch}`)
    } else if (p.src !== null) {
      const file = p.src.trim().slice(p.src.trim().lastIndexOf('/') + 1)
      const m = /^(.+\.(?:src|nosrc))\.rpm$/.exec(file)
      if (m !== null) found.add(m[1]!)
    }
  }
  return [...found].sort()
}
