// Starting a worker thread on a module beside the caller, built or under tsx. Built, the module is the sibling
// `.js` file. Under tsx (the tests run the TypeScript), Node 20 does not give a worker its parent's loader
// hooks, so the worker registers tsx's before it imports the sibling `.ts`.
import { Worker, type WorkerOptions } from 'node:worker_threads'

/** A worker running `name` (a module name without extension) from the directory of `from` (the caller's import.meta.url). */
export function startWorker (from: string, name: string, options: WorkerOptions): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options)
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const entry = JSON.stringify(new URL(`./${name}.ts`, from).href)
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}) })`, { ...options, eval: true })
}
