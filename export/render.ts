// Renders one exported URL: the app answers it in process (`app.inject`), exactly as it answers the live
// request for the public host, so an exported file holds the live server's bytes by construction.
import type { FastifyInstance } from 'fastify'
import type { GzipPart } from './gzip-parts.js'
import type { ExportUrl } from './urls.js'

export interface Rendered { url: ExportUrl, contentType: string, body: Buffer }

/**
 * A document its maker wrote to its temporary name itself (a large OSV bundle, made on a worker thread from its
 * previous copy: export/bundle-job.ts), with its hash and its .gz from parts; TreeWriter.reserve gave the name.
 */
export interface Written { url: ExportUrl, contentType: string, size: number, sha256: string, gzip: PreparedGzip }

export interface PreparedGzip { bytes: Buffer, sha256: string, parts: GzipPart[] }

export class RenderError extends Error { override name = 'RenderError' }

export async function renderUrl (app: FastifyInstance, url: ExportUrl, host: string): Promise<Rendered> {
  const response = await app.inject({ method: 'GET', url: url.url, headers: { host } })
  if (response.statusCode !== url.status) {
    const message = response.headers['content-type']?.toString().startsWith('text/html') === true ? '' : `: ${response.body.slice(0, 200).trim()}`
    throw new RenderError(`${url.url} answered ${response.statusCode}, not ${url.status}${message}`)
  }
  const contentType = response.headers['content-type']
  if (typeof contentType !== 'string') throw new RenderError(`${url.url} answered without a content type`)
  return { url, contentType, body: response.rawPayload }
}
