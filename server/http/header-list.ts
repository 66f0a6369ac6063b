// Headers worked out once and set on many answers: as name and value pairs, set in a plain loop (Fastify's
// reply.headers(object) makes an array of the object's keys on every call).
import type { FastifyReply } from 'fastify'

export type HeaderList = ReadonlyArray<readonly [string, string]>

export const headerList = (headers: Readonly<Record<string, string>>): HeaderList => Object.freeze(Object.entries(headers).map(([k, v]) => Object.freeze([k, v] as const)))

/** Sets each header in order (a header already set keeps its place and takes the new value). */
export function setHeaders (reply: FastifyReply, list: HeaderList): void {
  for (let i = 0; i < list.length; i++) reply.header(list[i]![0], list[i]![1])
}
