// The program's own version, and the stylesheet's cache-busting URL: both change whenever the templates, the
// styles or the package version change. ETags do not need the version (they hash the bytes sent); the static
// export keys the documents it keeps on it.
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../../db/paths.js'

export interface AssetVersions { appVersion: string, cssHref: string }

export function assetVersions (): AssetVersions {
  const css = readFileSync(join(projectRoot, 'public', 'style.css'))
  const cssHref = `/static/style.css?v=${createHash('sha256').update(css).digest('hex').slice(0, 12)}`
  const hash = createHash('sha256').update(css)
  const viewsDir = join(projectRoot, 'views')
  for (const file of readdirSync(viewsDir, { recursive: true }).map(String).sort()) {
    if (file.endsWith('.eta')) hash.update(file).update(readFileSync(join(viewsDir, file)))
  }
  hash.update(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version as string)
  return { appVersion: hash.digest('hex').slice(0, 10), cssHref }
}
