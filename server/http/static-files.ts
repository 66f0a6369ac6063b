// The files under /static/ (the stylesheet, the icon), served by @fastify/static with the ETag every other
// answer has, the MD5 of the bytes, in place of its own made from the size and mtime, which differ between
// installs of the same release. No Last-Modified: a file's mtime is when it was installed, not when it changed.
// `/favicon.ico`, which browsers and feed readers ask for whatever a page links, answers the same way: a real
// ICO (16, 32 and 48 pixel PNGs of favicon.svg, drawn by Chromium), not a redirect some clients do not follow.
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../../db/paths.js'
import { bodyTag, etagOf, isFresh } from './cache.js'
import { preferredEncoding, varyOnEncoding } from './compress.js'

const prefix = '/static/'
const maxAge = 86_400

export default fp(async (app) => {
  const root = join(projectRoot, 'public')
  // Read once: the files change with a release, which restarts the server (as the stylesheet's ?v= does).
  const tags = new Map<string, string>()
  for (const name of readdirSync(root)) tags.set(name, bodyTag(readFileSync(join(root, name))))

  // On the file route alone (not a hook every request runs through): the validators, and a 304 when current.
  const validators = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const tag = tags.get(request.url.split('?')[0]!.slice(prefix.length))
    if (tag === undefined) { done(); return }
    // compress.ts compresses a file (a stream) whatever its size, when the client accepts it.
    reply.header('etag', etagOf(tag, preferredEncoding(request.headers['accept-encoding'])))
    if (!isFresh(request.headers, tag, null)) { done(); return }
    varyOnEncoding(reply)
    reply.code(304).header('cache-control', `public, max-age=${maxAge}`).send()
  }
  app.addHook('onRoute', (route) => {
    if (route.url !== `${prefix}*`) return
    const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]
    route.preHandler = [...existing, validators]
  })
  await app.register(fastifyStatic, { root, prefix, maxAge: maxAge * 1000, etag: false, lastModified: false })

  const icon = readFileSync(join(root, 'favicon.ico'))
  const iconTag = tags.get('favicon.ico')!
  app.get('/favicon.ico', { schema: { summary: 'The site icon', tags: ['pages'] } }, async (request, reply) => {
    // An ICO of PNGs is not compressed (compress.ts): one strong tag for every client.
    reply.header('cache-control', `public, max-age=${maxAge}`).header('etag', etagOf(iconTag, null))
    if (isFresh(request.headers, iconTag, null)) return reply.code(304).send()
    return reply.type('image/x-icon').send(icon)
  })
}, { name: 'static-files' })
