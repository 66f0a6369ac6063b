// deploy/systemd, deploy/sysusers.d and the example settings, checked by systemd's own tools (Debian package
// `systemd`): `systemd-analyze verify` (any line it prints about our units fails the test), `systemd-analyze
// security --offline` for their exposure, `systemd-sysusers --root` for the user both units run as; and what
// the deployment relies on: one user, one state directory holding the database, the hardening, the schedule.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { loadJsonConfig } from '../ingest/config.js'
import { readServerConfig, serverSettings } from '../server/config.js'
import { projectDir, tempDir } from './helpers/paths.js'

const deployDir = join(projectDir, 'deploy')
const unitDir = join(deployDir, 'systemd')
const unitNames = ['llsc-server.service', 'llsc-ingest.service', 'llsc-ingest.timer']
const installDir = '/opt/llsc'

/** A unit file's settings by section and key, every value of a repeated key in order. */
type Unit = Record<string, Record<string, string[]>>

function parseUnit (text: string): Unit {
  const unit: Unit = {}
  let section = ''
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header !== null) { section = header[1]!; unit[section] ??= {}; continue }
    const eq = line.indexOf('=')
    const key = line.slice(0, eq)
    ;(unit[section]![key] ??= []).push(line.slice(eq + 1))
  }
  return unit
}

const units = Object.fromEntries(unitNames.map((name) => [name, parseUnit(readFileSync(join(unitDir, name), 'utf8'))]))
const services = ['llsc-server.service', 'llsc-ingest.service']
const service = (name: string): Record<string, string[]> => units[name]!.Service!

/**
 * The units with /opt/llsc replaced by this checkout, in a temporary directory: verify checks that the program
 * of each Exec line can be run, and with the copy every path the units name is a real one here.
 */
function unitsHere (t: Parameters<typeof tempDir>[0]): string[] {
  const dir = tempDir(t, 'llsc-units-')
  return unitNames.map((name) => {
    const file = join(dir, name)
    writeFileSync(file, readFileSync(join(unitDir, name), 'utf8').replaceAll(installDir, projectDir))
    return file
  })
}

t.test('the deploy folder holds these units and no others', async (t) => {
  t.same(readdirSync(unitDir).sort(), [...unitNames].sort())
})

t.test('systemd-analyze verify accepts the units without a word about them', async (t) => {
  const files = unitsHere(t)
  const run = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', ...files], { encoding: 'utf8' })
  t.equal(run.error, undefined, 'systemd-analyze runs (Debian package systemd)')
  const lines = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '')
  // Unknown keys and bad values are only warnings (exit 0): any line naming our units or files is a failure.
  const ours = lines.filter((l) => l.includes(dirname(files[0]!)) || unitNames.some((name) => l.includes(name)))
  t.same(ours, [], 'nothing said about our units')
  for (const other of lines.filter((l) => !ours.includes(l))) t.comment(`systemd-analyze (not about our units): ${other}`)
  t.equal(run.status, 0, 'exit status 0')
})

t.test('the programs the units run, and the scripts they run, exist here', async (t) => {
  for (const file of unitsHere(t).filter((f) => f.endsWith('.service'))) {
    const unit = parseUnit(readFileSync(file, 'utf8')).Service!
    t.ok(existsSync(unit.WorkingDirectory![0]!), `${file}: WorkingDirectory`)
    for (const [key, values] of Object.entries(unit).filter(([key]) => key.startsWith('Exec'))) {
      for (const line of values) {
        const [program, ...args] = line.replace(/^[-@:+!]+/, '').split(/\s+/)
        t.doesNotThrow(() => { accessSync(program!, constants.X_OK) }, `${key}: ${program} is executable`)
        for (const path of args.filter((a) => a.startsWith(projectDir))) t.ok(existsSync(path), `${key}: ${path} exists (npm ci builds dist/)`)
      }
    }
  }
})

t.test('both services run as one user over one state directory that holds the database', async (t) => {
  for (const name of services) {
    const s = service(name)
    t.same(s.User, ['llsc'], `${name}: User`)
    t.same(s.Group, ['llsc'], `${name}: Group`)
    t.same(s.DynamicUser, undefined, `${name}: a fixed system user (deploy/sysusers.d), not a dynamic one`)
    t.same(s.StateDirectory, ['llsc'], `${name}: StateDirectory`)
    t.same(s.ReadWritePaths, ['/var/lib/llsc'], `${name}: writes only the data directory`)
    const environment = Object.fromEntries((s.Environment ?? []).flatMap((e) => e.split(/\s+/)).map((pair) => pair.split('=', 2) as [string, string]))
    t.equal(environment.DB_PATH, '/var/lib/llsc/llsc.sqlite', `${name}: DB_PATH`)
    t.equal(dirname(environment.DB_PATH ?? ''), `/var/lib/${s.StateDirectory?.[0] ?? ''}`, `${name}: the database is in the state directory`)
    t.same(s.EnvironmentFile, ['-/etc/llsc/llsc.env'], `${name}: settings from /etc/llsc/llsc.env, when it exists`)
    t.match(s.ExecStart?.[0], new RegExp(`^/usr/bin/node ${installDir}/dist/bin/`), `${name}: Node runs the built app in ${installDir}`)
    t.same(s.WorkingDirectory, [installDir], `${name}: WorkingDirectory`)
    for (const [key, value] of [['ProtectSystem', 'strict'], ['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes'], ['PrivateDevices', 'yes']]) {
      t.same(s[key!], [value], `${name}: ${key}=${value}`)
    }
    t.same(s.MemoryDenyWriteExecute, undefined, `${name}: no MemoryDenyWriteExecute (V8's JIT needs it off)`)
  }
  const server = service('llsc-server.service')
  t.same(server.Type, ['exec'])
  t.same(server.Restart, ['on-failure'], 'the server is restarted when it fails')
  t.same(server.ExecStartPre, [`/usr/bin/node ${installDir}/dist/bin/migrate.js`], 'the schema is made current before the server starts')
  t.same(units['llsc-server.service']!.Install!.WantedBy, ['multi-user.target'])

  const ingest = service('llsc-ingest.service')
  t.same(ingest.Type, ['oneshot'], 'one ingest run per start')
  t.same(ingest.Restart, ['no'], 'a failed run waits for the next tick of the timer')
  t.same(ingest.ExecStart, [`/usr/bin/node ${installDir}/dist/bin/ingest.js --config /etc/llsc/ingest.json --wait`])
  const timer = units['llsc-ingest.timer']!
  t.same(timer.Timer!.Unit, ['llsc-ingest.service'], 'the timer starts the ingest service')
  t.same(timer.Timer!.OnCalendar, ['*:0/15'], 'every 15 minutes')
  t.same(timer.Timer!.Persistent, ['true'], 'a run missed while the machine was down runs at boot')
  t.same(timer.Install!.WantedBy, ['timers.target'])
})

t.test('systemd-analyze security rates both services well hardened (exposure at most 2.5 of 10)', async (t) => {
  const files = unitsHere(t).filter((f) => f.endsWith('.service'))
  const run = spawnSync('/usr/bin/systemd-analyze', ['security', '--offline=true', '--threshold=25', '--no-pager', ...files], { encoding: 'utf8' })
  const levels = [...`${run.stdout}${run.stderr}`.matchAll(/Overall exposure level for (\S+): ([\d.]+)/g)].map((m) => [m[1], Number(m[2])] as const)
  t.same(levels.map(([name]) => name), services, 'both rated')
  for (const [name, level] of levels) t.ok(level <= 2.5, `${name}: exposure ${level}`)
  t.equal(run.status, 0, 'under the threshold')
})

t.test('sysusers.d creates the system user both units run as', async (t) => {
  const root = tempDir(t, 'llsc-root-')
  mkdirSync(join(root, 'etc'))
  const run = spawnSync('/usr/bin/systemd-sysusers', [`--root=${root}`, join(deployDir, 'sysusers.d', 'llsc.conf')], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stderr)
  const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8')
  const user = /^llsc:x:(\d+):(\d+):Lambda Linux Security Center:\/var\/lib\/llsc:\/usr\/sbin\/nologin$/m.exec(passwd)
  t.ok(user, `a user llsc without a login shell, at home in the state directory:\n${passwd}`)
  t.ok(Number(user?.[1]) < 1000, 'a system user')
  t.match(readFileSync(join(root, 'etc', 'group'), 'utf8'), /^llsc:x:\d+:$/m, 'and its group')
})

t.test('the example settings name only real settings, with values the server accepts', async (t) => {
  const text = readFileSync(join(deployDir, 'llsc.env.example'), 'utf8')
  const pairs = [...text.matchAll(/^#?([A-Z][A-Z_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const)
  const known = new Set(serverSettings.map((s) => s.env))
  t.ok(pairs.length >= 5, 'it shows the settings an operator sets most')
  for (const [key] of pairs) t.ok(known.has(key), `${key} is a server setting`)
  t.doesNotThrow(() => readServerConfig([], Object.fromEntries(pairs)), 'every example value is valid')
})

t.test('the example ingest configuration is one the worker reads', async (t) => {
  const repos = loadJsonConfig(join(deployDir, 'ingest.example.json'))
  t.ok(repos.length >= 1)
  t.ok(repos.every((r) => r.productId === 'rocky9'))
})
