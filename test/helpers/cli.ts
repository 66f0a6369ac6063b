// Runs the real ingest CLI (`node --import tsx bin/ingest.ts ...`), or another entry point, in a child process,
// from the project root.
import { spawn, type ChildProcess } from 'node:child_process'
import { projectDir } from './paths.js'

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliProcess {
  child: ChildProcess
  /** What the process printed so far. */
  readonly stdout: string
  readonly stderr: string
  /** Resolves when the process has exited and its output is closed. */
  done: Promise<CliResult>
}

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

// The child must not load tap's process-info hooks or coverage: it is the program as an operator runs it.
function childEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_V8_COVERAGE' || key.startsWith('TAP') || key.startsWith('_TAPJS')) continue
    env[key] = value
  }
  delete env.DB_PATH
  return { ...env, ...extra }
}

/** Starts the CLI (`entry`, bin/ingest.ts unless told); it is killed (SIGKILL) at teardown if still running. */
export function spawnCli (t: Teardown, args: string[], extraEnv: Record<string, string> = {}, entry = 'bin/ingest.ts'): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: projectDir,
    env: childEnv(extraEnv),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await done.catch(() => {})
    }
  })
  return {
    child,
    get stdout () { return stdout },
    get stderr () { return stderr },
    done
  }
}

/** Runs the CLI to the end. */
export async function runCli (t: Teardown, args: string[], extraEnv: Record<string, string> = {}, entry = 'bin/ingest.ts'): Promise<CliResult> {
  return await spawnCli(t, args, extraEnv, entry).done
}

/** Resolves when `predicate` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitUntil (predicate: () => boolean, timeoutMs = 15_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
