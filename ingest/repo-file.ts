// Reads a yum .repo file (INI) as operators already have it: one repo per [section]. `enabled=0` is honoured
// as yum honours it: such a section is ingested only when asked for with --enablerepo (or "enablerepo" in a
// JSON configuration). EPLL's own epll.repo ships every section disabled, so it is read with --enablerepo too.

export interface RepoFileSection {
  id: string
  name: string | null
  baseurls: string[]
  mirrorlist: string | null
  /** `enabled=` (yum's default is 1). */
  enabled: boolean
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
      current = { id: header[1]!.trim(), name: null, baseurls: [], mirrorlist: null, enabled: true }
      sections.push(current)
      lastKey = null
      return
    }
    if (current === null) throw new RepoFileError(`${fileName}:${i + 1}: a setting before the first [section]`)
    const section: RepoFileSection = current
    // yum continues a baseurl list on indented lines.
    if (/^\s/.test(line) && lastKey === 'baseurl') {
      section.baseurls.push(...line.trim().split(/[\s,]+/).filter(Boolean))
      return
    }
    const kv = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (kv === null) throw new RepoFileError(`${fileName}:${i + 1}: expected "key=value", found "${line.trim()}"`)
    const key = kv[1]!.toLowerCase()
    const value = kv[2]!
    lastKey = key
    if (key === 'name') section.name = value
    else if (key === 'baseurl') section.baseurls.push(...value.split(/[\s,]+/).filter(Boolean))
    else if (key === 'mirrorlist') section.mirrorlist = value
    else if (key === 'enabled') section.enabled = repoFileBoolean(value, `${fileName}:${i + 1}`)
  })
  for (const s of sections) {
    if (s.baseurls.length === 0 && s.mirrorlist === null) throw new RepoFileError(`${fileName}: [${s.id}] has neither baseurl nor mirrorlist`)
  }
  if (sections.length === 0) throw new RepoFileError(`${fileName}: no [repo] sections`)
  return sections
}

// The spellings yum and dnf accept for a boolean option.
function repoFileBoolean (value: string, where: string): boolean {
  const v = value.toLowerCase()
  if (['1', 'yes', 'true', 'on'].includes(v)) return true
  if (['0', 'no', 'false', 'off'].includes(v)) return false
  throw new RepoFileError(`${where}: enabled=${value} is not a yes/no value (1 or 0)`)
}
