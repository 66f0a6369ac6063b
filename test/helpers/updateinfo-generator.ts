// A deterministic generator of realistic updateinfo.xml: N advisories of K packages over several arches,
// 1 to 4 CVEs and a bugzilla reference each, descriptions with characters that need escaping. The same
// arguments always give the same bytes (a seeded PRNG), so benchmark runs compare like with like.

export interface GeneratorOptions {
  advisories: number
  packagesPerAdvisory: number
  seed?: number
  idPrefix?: string
  /** Added to every issued date, in days: lets a test make a changed repo. */
  dayOffset?: number
}

const arches = ['x86_64', 'aarch64', 'noarch', 'i686']
const severities = ['Critical', 'Important', 'Medium', 'Low']
const words = ['buffer', 'overflow', 'heap', 'use-after-free', 'parser', 'remote', 'attacker', 'crafted', 'certificate', 'denial',
  'service', 'memory', 'disclosure', 'privilege', 'escalation', 'integer', 'signedness', 'race', 'symlink', 'validation']
const stems = ['openssl', 'curl', 'glibc', 'kernel', 'nginx', 'httpd', 'python3', 'sudo', 'bind', 'expat', 'libxml2', 'zlib', 'git',
  'vim', 'perl', 'ruby', 'nodejs', 'postgresql', 'mariadb', 'redis', 'systemd', 'openssh', 'gnutls', 'krb5', 'samba']

function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Yields the file in chunks (one advisory each) so 50 MB never needs one string. */
export function * generateUpdateinfo (options: GeneratorOptions): Generator<string> {
  const random = prng(options.seed ?? 42)
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!
  const prefix = options.idPrefix ?? 'EPLL'
  const start = Date.UTC(2016, 0, 1) + (options.dayOffset ?? 0) * 86_400_000
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n'
  for (let n = 0; n < options.advisories; n++) {
    const year = 2016 + Math.floor(n / 2000)
    const id = `${prefix}-${year}-${String(n + 1).padStart(5, '0')}`
    const stem = `${pick(stems)}${n % 7 === 0 ? '' : String(n % 97)}`
    const severity = pick(severities)
    const issued = new Date(start + n * 3_600_000 * 3)
    const updated = new Date(issued.getTime() + Math.floor(random() * 30) * 86_400_000)
    const cveCount = 1 + Math.floor(random() * 4)
    const cves = Array.from({ length: cveCount }, (_, i) => `CVE-${year}-${String(10000 + ((n * 4 + i) % 89999)).padStart(5, '0')}`)
    const version = `${1 + (n % 9)}.${n % 31}.${n % 11}`
    const release = `${1 + (n % 5)}.${n % 3 === 0 ? 'lambda' : 'amzn2'}${n % 4 === 0 ? '~rc1' : ''}`
    const epoch = n % 10 === 0 ? '1' : '0'
    const sentence = (): string => Array.from({ length: 6 }, () => pick(words)).join(' ')
    const description = `${cves.map((c) => `${c}: ${sentence()} in ${stem} <via "crafted" input> & more; ümlaut ✓.`).join('\n\n')}`
    let packages = ''
    for (let k = 0; k < options.packagesPerAdvisory; k++) {
      const arch = k === 0 ? 'src' : arches[k % arches.length]!
      const name = k === 0 || k === 1 ? stem : `${stem}-${['devel', 'libs', 'debuginfo', 'doc', 'tools', 'static', 'utils'][k % 7]!}${k > 7 ? k : ''}`
      const sum = k === 0 ? `<sum type="sha256">${((n * 31 + k) * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8)}</sum>` : ''
      const reboot = k === 1 && stem.startsWith('kernel') ? '<reboot_suggested>True</reboot_suggested>' : ''
      packages += `<package name="${name}" epoch="${epoch}" version="${version}" release="${release}" arch="${arch}" src="${stem}-${version}-${release}.src.rpm"><filename>${name}-${version}-${release}.${arch}.rpm</filename>${sum}${reboot}</package>\n`
    }
    yield `  <update from="security@lambda-linux.io" status="final" type="${n % 13 === 0 ? 'bugfix' : 'security'}" version="1.4">
    <id>${id}</id>
    <title>${escapeXml(`${severity}: ${stem} security update`)}</title>
    <issued date="${issued.toISOString().slice(0, 16).replace('T', ' ')}"/>
    <updated date="${updated.toISOString().slice(0, 16).replace('T', ' ')}"/>
    <severity>${severity}</severity>
    <description>${escapeXml(description)}</description>
    <references>
${cves.map((c) => `      <reference href="https://cve.mitre.org/cgi-bin/cvename.cgi?name=${c}" id="${c}" title="" type="cve"/>`).join('\n')}
      <reference href="https://bugzilla.example.org/show_bug.cgi?id=${100000 + n}" id="${100000 + n}" title="${escapeXml(`${stem}: ${sentence()}`)}" type="bugzilla"/>
    </references>
    <pkglist>
      <collection short="epll">
        <name>Extra Packages for Lambda Linux</name>
${packages}</collection>
    </pkglist>
  </update>\n`
  }
  yield '</updates>\n'
}

export function updateinfoText (options: GeneratorOptions): string {
  let text = ''
  for (const chunk of generateUpdateinfo(options)) text += chunk
  return text
}
