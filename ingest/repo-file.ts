// Reads a yum .repo file (INI) as operators already have it: one repo per [section]. Every section is read,
// whatever its `enabled=`: EPLL's own epll.repo ships each section disabled (users enable one per command
// with --enablerepo), and naming the file to the worker is the operator's choice of what to ingest.

export interface RepoFileSection {
  id: string
  name: string | null
  baseurls: string[]
  mirrorlist: string | null
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
      current = { id: header[1]!.trim(), name: null, baseurls: [], mirrorlist: null }
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
  })
  for (const s of sections) {
    if (s.baseurls.length === 0 && s.mirrorlist === null) throw new RepoFileError(`${fileName}: [${s.id}] has neither baseurl nor mirrorlist`)
  }
  if (sections.length === 0) throw new RepoFileError(`${fileName}: no [repo] sections`)
  return sections
}
