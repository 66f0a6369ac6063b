// dnf itself is the reference for POST /api/v1/query: the same installed packages (a real rpm database) and
// the same repo (real RPMs, updateinfo added by modifyrepo_c) go to `dnf updateinfo list --available` and to
// the portal; both answers, as "ADVISORY-ID fixed-NEVRA" pairs, must be equal, group by group. The portal
// gets `rpm -qa` twice: with epochs written out (judged on every case), and plain, without epochs (judged on
// every case where the installed epoch is the fix's; where they differ the line cannot decide: EPOCH-03/10).
//
// What dnf 4.14 (libdnf 0.69) does, observed with these cases (the `dnf` column below is asserted too):
// - only the newest installed build of each name.arch is compared (installonly kernels included);
// - the advisory package must have the installed package's name and exactly its arch: a noarch fix does not
//   apply to an x86_64 package nor the other way round, i686 and x86_64 never cross, src never applies;
// - it applies when its EVR is greater by rpm's comparison; a missing epoch is 0 on both sides;
// - each (advisory, NEVRA) is listed once, whatever the type (security, bugfix, enhancement), and whether or
//   not the repo holds that RPM (only updateinfo is read);
// - the running kernel (uname) is not added in an installroot: libdnf turns that lookup off when the root is
//   not "/", even when an installed kernel owns /boot/vmlinuz-$(uname -r) (case KERNEL-02).
import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { runIngest } from '../ingest/run.js'
import { tempDir } from './helpers/paths.js'
import {
  buildRpms, dnfUpdateinfoList, installRpms, makeRepo, missingTools, normalNevra, oracleDirs, parseDnfList,
  parseNevra, queryInstalled, updateinfoXml, type AdvisorySpec
} from './helpers/rpm-oracle.js'
import { testApp } from './helpers/test-app.js'

type Group = 'epochs' | 'tilde and caret' | 'installonly and several installed versions' | 'multilib, arches, noarch, src' | 'odd names' | 'advisory shapes'

/** severity: Important for a security advisory unless given; null for none */
interface Advisory { id: string, fixes: string[], type?: AdvisorySpec['type'], severity?: string | null, notInRepo?: true }
interface Installed { nevra: string, files?: string[] }
interface Case {
  group: Group
  /** installed packages, as rpm -qa would print them with epochs (no epoch: the spec has no Epoch tag) */
  installed: Array<string | Installed>
  advisories: Advisory[]
  /** what dnf lists, checked by hand against the rules above */
  dnf: string[]
}

const vmlinuz = `/boot/vmlinuz-${release()}`

const cases: Case[] = [
  // epochs --------------------------------------------------------------------------------------------------
  // installed 10:1.0-1, fix 10:1.1-1: applies
  { group: 'epochs', installed: ['ep-same-10:1.0-1.x86_64'], advisories: [{ id: 'EPOCH-01', fixes: ['ep-same-10:1.1-1.x86_64'] }], dnf: ['EPOCH-01 ep-same-10:1.1-1.x86_64'] },
  // installed 10:1.2-1, fix 10:1.1-1: older, does not apply
  { group: 'epochs', installed: ['ep-newer-10:1.2-1.x86_64'], advisories: [{ id: 'EPOCH-02', fixes: ['ep-newer-10:1.1-1.x86_64'] }], dnf: [] },
  // installed 9:2.0-1 (lower epoch, higher version), fix 10:1.0-1: the epoch wins, applies
  { group: 'epochs', installed: ['ep-lower-9:2.0-1.x86_64'], advisories: [{ id: 'EPOCH-03', fixes: ['ep-lower-10:1.0-1.x86_64'] }], dnf: ['EPOCH-03 ep-lower-10:1.0-1.x86_64'] },
  // installed 11:1.0-1 (higher epoch), fix 10:2.0-1: does not apply
  { group: 'epochs', installed: ['ep-higher-11:1.0-1.x86_64'], advisories: [{ id: 'EPOCH-04', fixes: ['ep-higher-10:2.0-1.x86_64'] }], dnf: [] },
  // installed 3.0-1 (no Epoch tag), fix 1:1.0-1: applies
  { group: 'epochs', installed: ['ep-zero-3.0-1.x86_64'], advisories: [{ id: 'EPOCH-05', fixes: ['ep-zero-1:1.0-1.x86_64'] }], dnf: ['EPOCH-05 ep-zero-1:1.0-1.x86_64'] },
  // installed 2:1.0-1, fix 1.5-1 without epoch attribute (= 0): does not apply
  { group: 'epochs', installed: ['ep-nofix-2:1.0-1.x86_64'], advisories: [{ id: 'EPOCH-06', fixes: ['ep-nofix-1.5-1.x86_64'] }], dnf: [] },
  // installed 1.0-1, fix 1.1-1, neither with an epoch: applies
  { group: 'epochs', installed: ['ep-none-1.0-1.x86_64'], advisories: [{ id: 'EPOCH-07', fixes: ['ep-none-1.1-1.x86_64'] }], dnf: ['EPOCH-07 ep-none-1.1-1.x86_64'] },
  // installed 10:2.0-1, fix 10:1.0-1: does not apply. Plain `rpm -qa` prints this as ep-mirror-2.0-1, the same
  // shape as EPOCH-03's ep-lower-2.0-1, where dnf says the opposite: a line without epoch cannot decide either.
  { group: 'epochs', installed: ['ep-mirror-10:2.0-1.x86_64'], advisories: [{ id: 'EPOCH-10', fixes: ['ep-mirror-10:1.0-1.x86_64'] }], dnf: [] },
  // installed with "Epoch: 0"; fix 0:1.0-2 applies (printed without "0:"), fix 1.0-1 without epoch is the same build
  {
    group: 'epochs',
    installed: ['ep-explicit0-0:1.0-1.x86_64'],
    advisories: [{ id: 'EPOCH-08', fixes: ['ep-explicit0-0:1.0-2.x86_64'] }, { id: 'EPOCH-09', fixes: ['ep-explicit0-1.0-1.x86_64'] }],
    dnf: ['EPOCH-08 ep-explicit0-1.0-2.x86_64']
  },

  // tilde and caret -----------------------------------------------------------------------------------------
  // 1.0~rc1 < 1.0: applies
  { group: 'tilde and caret', installed: ['tc-rc-1.0~rc1-1.x86_64'], advisories: [{ id: 'TILDE-01', fixes: ['tc-rc-1.0-1.x86_64'] }], dnf: ['TILDE-01 tc-rc-1.0-1.x86_64'] },
  // 1.0~rc2 < 1.0: a pre-release fix does not apply to the final release
  { group: 'tilde and caret', installed: ['tc-final-1.0-1.x86_64'], advisories: [{ id: 'TILDE-02', fixes: ['tc-final-1.0~rc2-1.x86_64'] }], dnf: [] },
  // 1.0~rc1 < 1.0~rc2: applies
  { group: 'tilde and caret', installed: ['tc-rc2-1.0~rc1-1.x86_64'], advisories: [{ id: 'TILDE-03', fixes: ['tc-rc2-1.0~rc2-1.x86_64'] }], dnf: ['TILDE-03 tc-rc2-1.0~rc2-1.x86_64'] },
  // 1.0 < 1.0^git1: a snapshot after the release applies
  { group: 'tilde and caret', installed: ['tc-snap-1.0-1.x86_64'], advisories: [{ id: 'TILDE-04', fixes: ['tc-snap-1.0^git1-1.x86_64'] }], dnf: ['TILDE-04 tc-snap-1.0^git1-1.x86_64'] },
  // 1.0^git1 < 1.0.1: applies
  { group: 'tilde and caret', installed: ['tc-snapnext-1.0^git1-1.x86_64'], advisories: [{ id: 'TILDE-05', fixes: ['tc-snapnext-1.0.1-1.x86_64'] }], dnf: ['TILDE-05 tc-snapnext-1.0.1-1.x86_64'] },
  // 1.0^git2 > 1.0^git1: does not apply
  { group: 'tilde and caret', installed: ['tc-snapold-1.0^git2-1.x86_64'], advisories: [{ id: 'TILDE-06', fixes: ['tc-snapold-1.0^git1-1.x86_64'] }], dnf: [] },
  // release 1~beta < 1: applies
  { group: 'tilde and caret', installed: ['tc-rel-1.0-1~beta.x86_64'], advisories: [{ id: 'TILDE-07', fixes: ['tc-rel-1.0-1.x86_64'] }], dnf: ['TILDE-07 tc-rel-1.0-1.x86_64'] },
  // 1.0~rc1 < 1.0~rc1^git1 < 1.0~rc2: only the rc2 fix applies
  {
    group: 'tilde and caret',
    installed: ['tc-mixed-1.0~rc1^git1-1.x86_64'],
    advisories: [{ id: 'TILDE-08', fixes: ['tc-mixed-1.0~rc1-1.x86_64'] }, { id: 'TILDE-09', fixes: ['tc-mixed-1.0~rc2-1.x86_64'] }],
    dnf: ['TILDE-09 tc-mixed-1.0~rc2-1.x86_64']
  },

  // installonly and several installed versions ---------------------------------------------------------------
  // kernel 4.14.0 (owns /boot/vmlinuz-$(uname -r)), 4.14.1, 4.14.2, 4.14.3 installed; kernel-devel 4.14.1, 4.14.3.
  // KERNEL-01 equals an older kernel: no. KERNEL-02 is newer than the three older kernels, older than the
  // newest: no (only the newest counts; the running kernel would be 4.14.0, but it is not added in an
  // installroot). KERNEL-03 is newer than all: yes, once per name. KERNEL-04 older than the newest
  // kernel-devel: no. KERNEL-05 newer: yes.
  {
    group: 'installonly and several installed versions',
    installed: [{ nevra: 'kernel-4.14.0-1.x86_64', files: [vmlinuz] }, 'kernel-4.14.1-1.x86_64', 'kernel-4.14.2-1.x86_64', 'kernel-4.14.3-1.x86_64',
      'kernel-devel-4.14.1-1.x86_64', 'kernel-devel-4.14.3-1.x86_64'],
    advisories: [
      { id: 'KERNEL-01', fixes: ['kernel-4.14.2-1.x86_64'] },
      { id: 'KERNEL-02', fixes: ['kernel-4.14.2-5.x86_64'] },
      { id: 'KERNEL-03', fixes: ['kernel-4.14.4-1.x86_64', 'kernel-devel-4.14.4-1.x86_64'] },
      { id: 'KERNEL-04', fixes: ['kernel-devel-4.14.2-1.x86_64'] },
      { id: 'KERNEL-05', fixes: ['kernel-devel-4.14.3-2.x86_64'] }
    ],
    dnf: ['KERNEL-03 kernel-4.14.4-1.x86_64', 'KERNEL-03 kernel-devel-4.14.4-1.x86_64', 'KERNEL-05 kernel-devel-4.14.3-2.x86_64']
  },
  // an ordinary name with two versions installed (rpm -i of both): the same rule, only 2.0-1 counts
  {
    group: 'installonly and several installed versions',
    installed: ['twover-1.0-1.x86_64', 'twover-2.0-1.x86_64'],
    advisories: [{ id: 'TWOVER-01', fixes: ['twover-1.5-1.x86_64'] }, { id: 'TWOVER-02', fixes: ['twover-2.0-2.x86_64'] }],
    dnf: ['TWOVER-02 twover-2.0-2.x86_64']
  },

  // multilib, arches, noarch, src ---------------------------------------------------------------------------
  // x86_64 and i686 installed, fix for both and src: each binary arch listed, src never
  { group: 'multilib, arches, noarch, src', installed: ['ml-1.0-1.x86_64', 'ml-1.0-1.i686'], advisories: [{ id: 'ARCH-01', fixes: ['ml-1.0-2.x86_64', 'ml-1.0-2.i686', 'ml-1.0-2.src'] }], dnf: ['ARCH-01 ml-1.0-2.i686', 'ARCH-01 ml-1.0-2.x86_64'] },
  // x86_64 at 1.1-1, i686 at 1.0-1, fix 1.1-1 for both: only i686 (the newest build is per name AND arch)
  { group: 'multilib, arches, noarch, src', installed: ['mlsplit-1.1-1.x86_64', 'mlsplit-1.0-1.i686'], advisories: [{ id: 'ARCH-02', fixes: ['mlsplit-1.1-1.x86_64', 'mlsplit-1.1-1.i686'] }], dnf: ['ARCH-02 mlsplit-1.1-1.i686'] },
  // noarch fix, x86_64 installed: no
  { group: 'multilib, arches, noarch, src', installed: ['arch-nf-1.0-1.x86_64'], advisories: [{ id: 'ARCH-03', fixes: ['arch-nf-2.0-1.noarch'] }], dnf: [] },
  // x86_64 fix, noarch installed: no
  { group: 'multilib, arches, noarch, src', installed: ['arch-fn-1.0-1.noarch'], advisories: [{ id: 'ARCH-04', fixes: ['arch-fn-2.0-1.x86_64'] }], dnf: [] },
  // noarch fix, noarch installed: yes
  { group: 'multilib, arches, noarch, src', installed: ['arch-nn-1.0-1.noarch'], advisories: [{ id: 'ARCH-05', fixes: ['arch-nn-2.0-1.noarch'] }], dnf: ['ARCH-05 arch-nn-2.0-1.noarch'] },
  // i686 fix, x86_64 installed: no
  { group: 'multilib, arches, noarch, src', installed: ['arch-i-1.0-1.x86_64'], advisories: [{ id: 'ARCH-06', fixes: ['arch-i-2.0-1.i686'] }], dnf: [] },
  // x86_64 fix, i686 installed: no
  { group: 'multilib, arches, noarch, src', installed: ['arch-x-1.0-1.i686'], advisories: [{ id: 'ARCH-07', fixes: ['arch-x-2.0-1.x86_64'] }], dnf: [] },
  // the fix listed only as a source package: no
  { group: 'multilib, arches, noarch, src', installed: ['arch-src-1.0-1.x86_64'], advisories: [{ id: 'ARCH-08', fixes: ['arch-src-2.0-1.src'] }], dnf: [] },
  // the fix only for an arch not installed (aarch64): no
  { group: 'multilib, arches, noarch, src', installed: ['arch-arm-1.0-1.x86_64'], advisories: [{ id: 'ARCH-09', fixes: ['arch-arm-2.0-1.aarch64'] }], dnf: [] },
  // one advisory lists the name as x86_64 and as noarch, x86_64 installed: only the x86_64 build
  { group: 'multilib, arches, noarch, src', installed: ['arch-both-1.0-1.x86_64'], advisories: [{ id: 'ARCH-10', fixes: ['arch-both-2.0-1.x86_64', 'arch-both-2.0-1.noarch'] }], dnf: ['ARCH-10 arch-both-2.0-1.x86_64'] },

  // odd names -----------------------------------------------------------------------------------------------
  { group: 'odd names', installed: ['libstdc++-8.3.1-1.x86_64'], advisories: [{ id: 'NAME-01', fixes: ['libstdc++-8.3.1-2.x86_64'] }], dnf: ['NAME-01 libstdc++-8.3.1-2.x86_64'] },
  { group: 'odd names', installed: ['python3.11-foo-1.0-1.noarch'], advisories: [{ id: 'NAME-02', fixes: ['python3.11-foo-1.0-2.noarch'] }], dnf: ['NAME-02 python3.11-foo-1.0-2.noarch'] },
  // dots and dashes in the name, epoch 1 on both sides
  { group: 'odd names', installed: ['java-1.8.0-openjdk-devel-1:1.8.0.392.b08-1.x86_64'], advisories: [{ id: 'NAME-03', fixes: ['java-1.8.0-openjdk-devel-1:1.8.0.402.b06-1.x86_64'] }], dnf: ['NAME-03 java-1.8.0-openjdk-devel-1:1.8.0.402.b06-1.x86_64'] },
  // "+" and a trailing "-33" in the name
  { group: 'odd names', installed: ['compat-libstdc++-33-3.2.3-72.x86_64'], advisories: [{ id: 'NAME-04', fixes: ['compat-libstdc++-33-3.2.3-73.x86_64'] }], dnf: ['NAME-04 compat-libstdc++-33-3.2.3-73.x86_64'] },
  // a name that is a prefix of another: each fix only for its own name (openssl-libs is already at -20)
  {
    group: 'odd names',
    installed: ['openssl-1.0.2k-19.x86_64', 'openssl-libs-1.0.2k-20.x86_64'],
    advisories: [{ id: 'NAME-05', fixes: ['openssl-1.0.2k-20.x86_64', 'openssl-libs-1.0.2k-20.x86_64'] }],
    dnf: ['NAME-05 openssl-1.0.2k-20.x86_64']
  },
  // dots and an underscore in the release, epoch 32 on both sides
  { group: 'odd names', installed: ['bind-export-libs-32:9.11.4-26.P2.el7_9.15.x86_64'], advisories: [{ id: 'NAME-06', fixes: ['bind-export-libs-32:9.11.4-26.P2.el7_9.16.x86_64'] }], dnf: ['NAME-06 bind-export-libs-32:9.11.4-26.P2.el7_9.16.x86_64'] },

  // advisory shapes -----------------------------------------------------------------------------------------
  // the same fix in two advisories: both listed
  { group: 'advisory shapes', installed: ['shape-two-1.0-1.x86_64'], advisories: [{ id: 'SHAPE-01', fixes: ['shape-two-1.1-1.x86_64'] }, { id: 'SHAPE-02', fixes: ['shape-two-1.1-1.x86_64'] }], dnf: ['SHAPE-01 shape-two-1.1-1.x86_64', 'SHAPE-02 shape-two-1.1-1.x86_64'] },
  // one advisory with two builds of the same name.arch, both newer: dnf lists both
  { group: 'advisory shapes', installed: ['shape-multi-1.0-1.x86_64'], advisories: [{ id: 'SHAPE-03', fixes: ['shape-multi-1.1-1.x86_64', 'shape-multi-1.2-1.x86_64'] }], dnf: ['SHAPE-03 shape-multi-1.1-1.x86_64', 'SHAPE-03 shape-multi-1.2-1.x86_64'] },
  // every type and severity is listed (no filter given)
  {
    group: 'advisory shapes',
    installed: ['shape-types-1.0-1.x86_64'],
    advisories: [
      { id: 'SHAPE-04', type: 'bugfix', fixes: ['shape-types-1.1-1.x86_64'] },
      { id: 'SHAPE-05', type: 'enhancement', fixes: ['shape-types-1.2-1.x86_64'] },
      { id: 'SHAPE-06', severity: 'Critical', fixes: ['shape-types-1.3-1.x86_64'] },
      { id: 'SHAPE-07', severity: 'Low', fixes: ['shape-types-1.3-1.x86_64'] },
      { id: 'SHAPE-08', severity: null, fixes: ['shape-types-1.3-1.x86_64'] }
    ],
    dnf: ['SHAPE-04 shape-types-1.1-1.x86_64', 'SHAPE-05 shape-types-1.2-1.x86_64', 'SHAPE-06 shape-types-1.3-1.x86_64', 'SHAPE-07 shape-types-1.3-1.x86_64', 'SHAPE-08 shape-types-1.3-1.x86_64']
  },
  // the fixed RPM is not in the repo: dnf reads only updateinfo, still listed
  { group: 'advisory shapes', installed: ['shape-norpm-1.0-1.x86_64'], advisories: [{ id: 'SHAPE-09', fixes: ['shape-norpm-1.1-1.x86_64'], notInRepo: true }], dnf: ['SHAPE-09 shape-norpm-1.1-1.x86_64'] },
  // a name that is not installed: nothing
  { group: 'advisory shapes', installed: [], advisories: [{ id: 'SHAPE-10', fixes: ['shape-absent-1.0-1.x86_64'] }], dnf: [] }
]

const groups = [...new Set(cases.map((c) => c.group))]
const installedOf = (c: Case): string[] => c.installed.map((i) => typeof i === 'string' ? i : i.nevra)
// Plain `rpm -qa` drops epochs: an answer is decidable from it only when the installed build of that name
// has the fix's epoch (then "assume the fix's epoch" is exact); otherwise the input cannot tell (EPOCH-03/10).
const epochOf = (nevra: string): number => parseNevra(nevra).epoch ?? 0
const decidableWithoutEpochs = (c: Case): boolean => c.advisories.every((a) => a.fixes.every((f) =>
  installedOf(c).filter((i) => parseNevra(i).name === parseNevra(f).name).every((i) => epochOf(i) === epochOf(f))))
const caseOf = new Map(cases.flatMap((c) => c.advisories.map((a) => [a.id, c] as const)))
const idOf = (pair: string): string => pair.slice(0, pair.indexOf(' '))

/** A pair with the installed packages of its name, so a difference names the case. */
function explain (pair: string): string {
  const name = parseNevra(pair.slice(pair.indexOf(' ') + 1)).name
  const c = caseOf.get(idOf(pair))
  const installed = c === undefined ? [] : installedOf(c).filter((i) => parseNevra(i).name === name)
  return `${pair} (installed: ${installed.join(' ') || 'none of that name'})`
}

const missing = missingTools()
if (missing.length > 0) {
  t.fail(`the dnf oracle needs ${missing.join(', ')}: apt-get install -y rpm dnf createrepo-c (.ci/run installs them)`)
} else {
  t.test('dnf and the portal list the same advisories for the same installed packages', oracle)
}

async function oracle (t: Test): Promise<void> {
  const started = performance.now()
  const lap = (() => { let last = started; return () => { const now = performance.now(); const ms = Math.round(now - last); last = now; return ms } })()
  const dirs = oracleDirs(tempDir(t, 'llsc-dnf-oracle-'))

  // 1. Build every distinct package once: installed ones for the rpm database, fixed ones for the repo.
  const installed: Installed[] = cases.flatMap((c) => c.installed.map((i) => typeof i === 'string' ? { nevra: i } : i))
  const fixed = [...new Set(cases.flatMap((c) => c.advisories.filter((a) => a.notInRepo !== true).flatMap((a) => a.fixes)))].filter((f) => parseNevra(f).arch !== 'src')
  const builds: Installed[] = [...installed, ...fixed.map((nevra) => ({ nevra }))]
  const files = await buildRpms(dirs, builds.map((b) => ({ ...parseNevra(b.nevra), ...(b.files !== undefined && { files: b.files }) })))
  const buildMs = lap()

  // 2. The rpm database, and the running kernel's image in the installroot as on a real machine.
  await installRpms(dirs, files.slice(0, installed.length))
  mkdirSync(join(dirs.root, 'boot'))
  writeFileSync(join(dirs.root, vmlinuz), '')
  const rpmQa = await queryInstalled(dirs, false)
  const rpmQaEpochs = await queryInstalled(dirs, true)
  t.equal(rpmQa.trim().split('\n').length, installed.length, 'every installed package is in the rpm database')

  // 3. The repo: fixed RPMs and updateinfo.
  const advisories: AdvisorySpec[] = cases.flatMap((c) => c.advisories.map((a) => {
    const severity = a.severity === undefined ? (a.type === undefined ? 'Important' : null) : a.severity
    return { id: a.id, type: a.type ?? 'security', ...(severity !== null && { severity }), packages: a.fixes.map(parseNevra) }
  }))
  await makeRepo(dirs, files.slice(installed.length), updateinfoXml(advisories))
  const setupMs = lap()

  // 4. dnf's answer.
  const dnfText = await dnfUpdateinfoList(dirs)
  const dnfLines = parseDnfList(dnfText)
  const dnfPairs = new Set(dnfLines.map((l) => `${l.id} ${normalNevra(l.nevra)}`))
  const dnfMs = lap()

  // 5. The portal's answer, to rpm -qa as it is and with epochs written out.
  // Not ingestOk: the database lives with the oracle's files, and the check stays "not failed" plus the count.
  const dbPath = join(dirs.base, 'portal.db')
  const summary = await runIngest({ dbPath, repos: [{ productId: 'oracle', productName: 'dnf oracle', url: dirs.repo, kind: 'baseurl', baseurls: [dirs.repo], name: 'oracle', allowedHosts: [] }] })
  t.not(summary.repos[0]?.status, 'failed', `the portal ingests the repo dnf read${summary.repos[0]?.error === null ? '' : `: ${summary.repos[0]?.error}`}`)
  t.equal(summary.repos[0]?.added, advisories.length, 'every advisory is ingested')
  const app = await testApp(t, { dbPath })
  const portal = async (form: string, body: string, epochs: boolean): Promise<{ form: string, epochs: boolean, pairs: Set<string> }> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/query?product=oracle', headers: { 'content-type': 'text/plain' }, payload: body })
    t.equal(res.statusCode, 200, `${form}: the query answers 200${res.statusCode === 200 ? '' : `: ${res.body}`}`)
    const answer = res.json() as { unparsed: unknown[], epochs_assumed?: number, results: Array<{ installed: string, advisories: Array<{ id: string, fixed: string }> }> }
    t.strictSame(answer.unparsed, [], `${form}: the portal reads every line`)
    // The portal says when it had to assume epochs, and only then.
    if (epochs) t.equal(answer.epochs_assumed, 0, `${form}: no epoch assumed`)
    else t.ok((answer.epochs_assumed ?? 0) > 0, `${form}: the answer says epochs were assumed (epochs_assumed ${answer.epochs_assumed})`)
    return { form, epochs, pairs: new Set(answer.results.flatMap((r) => r.advisories.map((a) => `${a.id} ${normalNevra(a.fixed)}`))) }
  }
  const forms = [await portal('rpm -qa', rpmQa, false), await portal('rpm -qa with %{EPOCHNUM}', rpmQaEpochs, true)]
  const portalMs = lap()
  t.comment(`dnf oracle: ${builds.length} RPMs built in ${buildMs} ms, rpm database and repo in ${setupMs} ms, dnf in ${dnfMs} ms, ingest and two queries in ${portalMs} ms`)

  t.test('dnf itself answers as checked by hand', async (t) => {
    const unknown = [...dnfPairs].filter((p) => !caseOf.has(idOf(p)))
    t.strictSame(unknown, [], 'dnf lists no advisory that is not in the table')
    for (const c of cases) {
      const ids = new Set(c.advisories.map((a) => a.id))
      const listed = [...dnfPairs].filter((p) => ids.has(idOf(p))).sort()
      t.strictSame(listed, [...c.dnf].sort(), `${[...ids].join(', ')}: installed ${installedOf(c).join(' ') || 'nothing'}`)
    }
    // dnf prints epoch 0 not at all and any other epoch as "E:" (so normalising its lines changes nothing).
    t.strictSame(dnfLines.map((l) => normalNevra(l.nevra)), dnfLines.map((l) => l.nevra), 'dnf prints NEVRAs as name-[epoch:]version-release.arch, epoch 0 left out')
    t.ok(dnfLines.some((l) => l.nevra === 'ep-zero-1:1.0-1.x86_64'), 'a non-zero epoch is printed')
    t.strictSame(dnfLines.filter((l) => l.id.startsWith('SHAPE-0') && l.nevra.startsWith('shape-types')).map((l) => `${l.id} ${l.label}`).sort(),
      ['SHAPE-04 bugfix', 'SHAPE-05 enhancement', 'SHAPE-06 Critical/Sec.', 'SHAPE-07 Low/Sec.', 'SHAPE-08 Unknown/Sec.'], 'type and severity labels')
  })

  for (const group of groups) {
    t.test(group, async (t) => {
      for (const { form, epochs, pairs } of forms) {
        // Without epochs, cases the input cannot decide are shown, not judged (see decidableWithoutEpochs).
        const judged = (pair: string): boolean => {
          const c = caseOf.get(idOf(pair))
          return c?.group === group && (epochs || decidableWithoutEpochs(c))
        }
        const expected = new Set([...dnfPairs].filter(judged))
        const got = new Set([...pairs].filter(judged))
        const onlyInDnf = [...expected].filter((p) => !got.has(p)).sort().map(explain)
        const onlyInPortal = [...got].filter((p) => !expected.has(p)).sort().map(explain)
        const agree = onlyInDnf.length === 0 && onlyInPortal.length === 0
        t.strictSame({ onlyInDnf, onlyInPortal }, { onlyInDnf: [], onlyInPortal: [] }, agree
          ? `${form}: the portal agrees with dnf (${expected.size} pairs)`
          : `${form}: the portal differs from dnf; only in dnf: ${onlyInDnf.join(', ') || '-'}; only in portal: ${onlyInPortal.join(', ') || '-'}`)
        if (!epochs) {
          const open = cases.filter((c) => c.group === group && !decidableWithoutEpochs(c)).flatMap((c) => c.advisories.map((a) => a.id))
          const differs = open.filter((id) => [...dnfPairs].filter((p) => idOf(p) === id).sort().join() !== [...pairs].filter((p) => idOf(p) === id).sort().join())
          if (open.length > 0) t.comment(`${form}: not judged, the line has no epoch and the fix's differs from the installed one: ${open.join(', ')}${differs.length === 0 ? '' : ` (portal and dnf differ on ${differs.join(', ')})`}`)
        }
      }
    })
  }

  // Pairs from advisories outside the table would be a bug in the test or in either side.
  t.strictSame(forms.map(({ pairs }) => [...pairs].filter((p) => !caseOf.has(idOf(p)))), [[], []], 'the portal lists no advisory that is not in the table')
}
