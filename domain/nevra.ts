// NEVRA and EVR as rpm and yum print them: the epoch is left out when it is 0 (or unknown).

export interface Evr { epoch: string, version: string, release: string }
export interface Nevra extends Evr { name: string, arch: string }

const epochPrefix = (epoch: string): string => epoch === '0' || epoch === '' ? '' : `${epoch}:`

/** `[epoch:]version-release` */
export function evr (p: Evr): string {
  return `${epochPrefix(p.epoch)}${p.version}-${p.release}`
}

/** `name-[epoch:]version-release.arch` */
export function nevra (p: Nevra): string {
  return `${p.name}-${evr(p)}.${p.arch}`
}
