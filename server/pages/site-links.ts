// Where the pages send what only a running server answers (search and filters, "Check a server", any URL
// with a query string, per-CVE feeds a static copy may lack). The live server links to itself; pages
// rendered for a static copy (docs/static-export.md, "Exported pages") link those to the dynamic host, or
// leave them out when there is none.

export interface SiteOptions {
  /**
   * Absent: the live server, every link as it is. A URL (an origin): pages for a static copy, whose
   * server-only links are absolute URLs on that host. Null: pages for a static copy without them.
   */
  dynamicUrl?: string | null
  /** Pages for a static copy: whether the copy holds the per-CVE feeds (`npm run export -- --cve-feeds`). */
  cveFeeds?: boolean
}

export interface SiteLinks {
  /** Pages are rendered for a static copy, which answers no query string and runs no form. */
  readonly static: boolean
  /** The dynamic host (static pages only; null on the live server or without one). */
  readonly dynamicUrl: string | null
  /** Where a link to this site's `url` points: `url` itself, the dynamic host's copy of it, or nowhere (null). */
  href: (url: string) => string | null
  /** A URL only a server answers (a form's action, `/check`): itself, on the dynamic host, or null. */
  server: (url: string) => string | null
  /** An asset URL: static pages drop the cache-busting query (`?v=`), which a static host may not honour. */
  asset: (url: string) => string
  /**
   * The error page's message. A static host serves one 404 page for every missing path, so on a static copy
   * the not-found answer (server/http/errors.ts), which names the path it was asked for, is said without it.
   */
  errorMessage: (message: string) => string
}

/** Pages a static copy never holds (they take a form post). */
const serverOnlyPaths = new Set(['/check'])

export function siteLinks (options: SiteOptions = {}): SiteLinks {
  if (options.dynamicUrl === undefined) {
    return { static: false, dynamicUrl: null, href: (url) => url, server: (url) => url, asset: (url) => url, errorMessage: (message) => message }
  }
  const dynamicUrl = options.dynamicUrl === null ? null : options.dynamicUrl.replace(/\/+$/, '')
  const cveFeeds = options.cveFeeds === true
  const server = (url: string): string | null => dynamicUrl === null ? null : `${dynamicUrl}${url}`
  const inCopy = (url: string): boolean => {
    const path = url.split('#')[0]!
    if (path.includes('?') || serverOnlyPaths.has(path)) return false
    return cveFeeds || !path.startsWith('/feeds/cve/')
  }
  return {
    static: true,
    dynamicUrl,
    href: (url) => !url.startsWith('/') || inCopy(url) ? url : server(url),
    server,
    asset: (url) => url.split('?')[0]!,
    errorMessage: (message) => message.startsWith('Nothing lives at ')
      ? `Nothing lives at this address: the link may be old or mistyped.${dynamicUrl === null ? '' : ' Search the advisories instead:'}`
      : message
  }
}
