// Where an exported document lives on disk (docs/static-export.md, "Files on disk"): an HTML page at
// `/x/y` is `x/y/index.html`; a document whose URL ends in its type's extension keeps its path
// (`feeds/amzn2.rss`); any other document is `<path>/index.<ext>` (`api/v1/products/index.json`), so a
// path can hold a document and, below it, others (`api/v1/products/<product>/advisories/...`).
import type { ExportUrl } from './urls.js'

export class LayoutError extends Error { override name = 'LayoutError' }

/** File extensions by media type (parameters such as charset dropped). */
const extensions: Record<string, string> = {
  'text/html': 'html',
  'application/json': 'json',
  'application/feed+json': 'json',
  'application/rss+xml': 'rss',
  'application/atom+xml': 'atom',
  'application/xml': 'xml',
  'application/x-ndjson': 'ndjson',
  'text/css': 'css',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'image/svg+xml': 'svg',
  'image/vnd.microsoft.icon': 'ico',
  'image/x-icon': 'ico'
}

const mediaType = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase()

/** Text worth precompressing: everything the portal writes except images other than SVG. */
export function isText (contentType: string): boolean {
  const type = mediaType(contentType)
  return type.startsWith('text/') || type === 'image/svg+xml' || /^application\/(?:json|xml|x-ndjson|[\w.+-]+\+(?:json|xml))$/.test(type)
}

/** A URL path's segments as file names; a segment no file can be named (`..`, or with a `/`) is refused. */
function segments (path: string): string[] {
  const parts = path.split('/').slice(1)
  if (parts.length === 1 && parts[0] === '') return []
  return parts.map((part) => {
    let name: string
    try { name = decodeURIComponent(part) } catch { throw new LayoutError(`"${part}" is not a valid percent-encoding`) }
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new LayoutError(`"${name}" cannot be a file name`)
    if (Buffer.byteLength(name) > 255) throw new LayoutError(`"${name.slice(0, 40)}..." is longer than a file name may be (255 bytes)`)
    return name
  })
}

/** The file (relative, with `/`) that holds the document the app answered for `url`. */
export function filePathOf (url: Pick<ExportUrl, 'url' | 'status'>, contentType: string): string {
  if (url.status === 404) return '404.html'
  const parts = segments(url.url.split('?')[0]!)
  const type = mediaType(contentType)
  const ext = extensions[type]
  if (type === 'text/html') return [...parts, 'index.html'].join('/')
  const last = parts[parts.length - 1]
  if (last !== undefined && ext !== undefined && last.endsWith(`.${ext}`) && last !== `.${ext}`) return parts.join('/')
  if (ext === undefined) throw new LayoutError(`no file extension is known for ${type}`)
  return [...parts, `index.${ext}`].join('/')
}
