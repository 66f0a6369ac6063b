// Reads a yum .repo file (INI) as operators already have it: one repo per [section]. `enabled=0` is honoured
// as yum honours it: such a section is ingested only when asked for with --enablerepo (or "enablerepo" in a
// JSON configuration). EPLL's own epll.repo ships every section disabled, so it is read with --enablerepo too.
// Beside the repos, a .repo file tells two things about its product: the id of the section that serves
// source RPMs (its baseurl or mirrorlist has an SRPMS folder, as epll-source does) and the signing key (gpgkey).

export interface RepoFileSection {
  id: string
  name: string | null
  baseurls: string[]
  mirrorlist: string | null
  /** `enabled=` (yum's default is 1). */
  enabled: boolean
  /** `gpgkey=`: the key URLs yum checks packages with. */
  gpgkeys: string[]
}

export class RepoFileError extends Error { override name = 'RepoFileError' }

export function parseRepoFile (text: string, fileName: string): RepoFileSection[] {
  const sections: RepoFileSection[] = []
  let current: RepoFileSection | null = null
  let lastKey: string | null = null
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*([#;].*)?$/.test(line)) return
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header !== null) {
      current = { id: header[1]!.trim(), name: null, baseurls: [], mirrorlist: null, enabled: true, gpgkeys: [] }
      sections.push(current)
      lastKey = null
      return
    }
    if (current === null) throw new RepoFileError(`${fileName}:${i + 1}: a setting before the first [section]`)
    const section: RepoFileSection = current
    // yum continues a baseurl or gpgkey list on indented lines.
    if (/^\s/.test(line) && (lastKey === 'baseurl' || lastKey === 'gpgkey')) {
      (lastKey === 'baseurl' ? section.baseurls : section.gpgkeys).push(...urlList(line))
      return
    }
    const kv = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (kv === null) throw new RepoFileError(`${fileName}:${i + 1}: expected "key=value", found "${line.trim()}"`)
    const key = kv[1]!.toLowerCase()
    const value = kv[2]!
    lastKey = key
    if (key === 'name') section.name = value
    else if (key === 'baseurl') section.baseurls.push(...urlList(value))
    else if (key === 'gpgkey') section.gpgkeys.push(...urlList(value))
    else if (key === 'mirrorlist') section.mirrorlist = value
    else if (key === 'enabled') section.enabled = repoFileBoolean(value, `${fileName}:${i + 1}`)
  })
  for (const s of sections) {
    if (s.baseurls.length === 0 && s.mirrorlist === null) throw new RepoFileError(`${fileName}: [${s.id}] has neither baseurl nor mirrorlist`)
  }
  if (sections.length === 0) throw new RepoFileError(`${fileName}: no [repo] sections`)
  return sections
}

const urlList = (value: string): string[] => value.trim().split(/[\s,]+/).filter(Boolean)

/** The section serving source RPMs: its baseurl or mirrorlist has an SRPMS folder (epll-source). Enabled or not. */
export function sourceSection (sections: RepoFileSection[]): RepoFileSection | null {
  const srpms = (url: string): boolean => /(^|\/)SRPMS(\/|$)/i.test(url.replace(/[?#].*$/, ''))
  return sections.find((s) => [...s.baseurls, s.mirrorlist ?? ''].some(srpms)) ?? null
}

/** The key yum checks the file's packages with: the first gpgkey of an enabled section, else of any section. */
export function signingKeyOf (sections: RepoFileSection[]): string | null {
  return sections.find((s) => s.enabled && s.gpgkeys.length > 0)?.gpgkeys[0] ?? sections.find((s) => s.gpgkeys.length > 0)?.gpgkeys[0] ?? null
}

// The spellings yum and dnf accept for a boolean option.
function repoFileBoolean (value: string, where: string): boolean {
  const v = value.toLowerCase()
  if (['1', 'yes', 'true', 'on'].includes(v)) return true
  if (['0', 'no', 'false', 'off'].includes(v)) return false
  throw new RepoFileError(`${where}: enabled=${value} is not a yes/no value (1 or 0)`)
}
