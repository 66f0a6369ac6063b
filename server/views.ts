// eta templates from views/, compiled once at start; `<%= %>` escapes everything it prints.
import { Eta } from 'eta'
import { join } from 'node:path'
import { projectRoot } from '../db/paths.js'

export interface Views { render: (name: string, data: Record<string, unknown>) => string }

export function createViews (): Views {
  const eta = new Eta({ views: join(projectRoot, 'views'), cache: true, autoEscape: true })
  return { render: (name, data) => eta.render(name, data) }
}
