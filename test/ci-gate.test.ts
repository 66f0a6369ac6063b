// The README's CI gate, run exactly as written (only the portal's address changed) against a portal on
// loopback, with a stand-in `rpm` on PATH that prints a server's packages: the servers of the report that
// once failed the gate forever (no epochs from plain rpm -qa; the fixed kernel installed beside the old one).
import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { projectDir } from './helpers/paths.js'
import { demoRepos, ingestOk, testApp, testDb } from './helpers/test-app.js'

const readme = readFileSync(join(projectDir, 'README.md'), 'utf8')
const recipe = /<!-- ci-gate -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1]
t.ok(recipe, 'the README has the CI gate recipe')

const { dir, dbPath } = testDb(t)
await ingestOk(t, dbPath, demoRepos(['amzn2']))
const app = await testApp(t, { dbPath })
await app.listen({ host: '127.0.0.1', port: 0 })
const portal = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

// A stand-in for rpm: prints the packages of the server being checked, whatever the query format asks.
const bin = join(dir, 'bin')
mkdirSync(bin)
writeFileSync(join(bin, 'rpm'), '#!/bin/sh\ncat "$PACKAGES"\n')
chmodSync(join(bin, 'rpm'), 0o755)

/** Runs the recipe in bash (not synchronously: the portal answering it lives in this process). */
async function gate (packages: string[], script = recipe!): Promise<{ status: number | null, stderr: string }> {
  const list = join(dir, `packages-${Math.random().toString(36).slice(2)}`)
  writeFileSync(list, packages.map((p) => `${p}\n`).join(''))
  const child = spawn('bash', ['-c', script.replaceAll('http://127.0.0.1:3000', portal)], {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, PACKAGES: list, LC_ALL: 'C.UTF-8' },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { status, stderr }
}

t.test('the gate passes a server that has the fixes, with or without epochs', async (t) => {
  const patched = [
    'qemu-kvm-1.5.3-156.amzn2.5.7.x86_64', // newer than 10:1.5.3-141 once its epoch is taken as the fix's
    'java-1.8.0-openjdk-devel-1.8.0.171-8.b10.amzn2.x86_64', // newer than 1:1.8.0.161
    'kernel-4.9.62-10.57.amzn2.x86_64', // an old kernel kept beside the fixed one
    'kernel-4.9.76-38.79.amzn2.x86_64',
    'bash-4.2.46-30.amzn2.x86_64'
  ]
  t.equal((await gate(patched)).status, 0, 'plain rpm -qa lines (no epochs): exit 0')
  const withEpochs = ['qemu-kvm-10:1.5.3-156.amzn2.5.7.x86_64', 'java-1.8.0-openjdk-devel-1:1.8.0.171-8.b10.amzn2.x86_64',
    'kernel-0:4.9.62-10.57.amzn2.x86_64', 'kernel-0:4.9.76-38.79.amzn2.x86_64', 'bash-0:4.2.46-30.amzn2.x86_64']
  t.equal((await gate(withEpochs)).status, 0, 'the --qf form (epochs stated): exit 0')
})

t.test('the gate fails a server that misses a critical or important fix', async (t) => {
  t.equal((await gate(['kernel-4.9.62-10.57.amzn2.x86_64'])).status, 1, 'an old kernel alone (critical ALAS2-2018-939): exit 1')
  t.equal((await gate(['qemu-kvm-10:1.5.3-140.amzn2.x86_64'])).status, 1, 'qemu-kvm before the fix (important ALAS2-2018-942): exit 1')
  t.equal((await gate(['qemu-kvm-1.5.3-140.amzn2.x86_64'])).status, 1, 'the same without an epoch: exit 1')
})

t.test('the gate fails when the portal cannot answer', async (t) => {
  const wrongProduct = await gate(['bash-4.2.46-30.amzn2.x86_64'], recipe!.replace('product=amzn2', 'product=nope'))
  t.not(wrongProduct.status, 0, `an unknown product: exit ${String(wrongProduct.status)}`)
  t.match(wrongProduct.stderr, /error: 400/, 'curl says why')
  const down = await gate(['bash-4.2.46-30.amzn2.x86_64'], recipe!.replace('http://127.0.0.1:3000', 'http://127.0.0.1:9'))
  t.not(down.status, 0, `no portal listening: exit ${String(down.status)}`)
})
