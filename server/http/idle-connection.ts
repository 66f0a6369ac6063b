// Work a request waits for before its first byte can go out (a streamed document hashed for its ETag, the
// query's index of fixed packages built after an ingest) can take longer than the server's connection timeout
// at a million advisories: the socket is idle meanwhile, and Node would cut the client off. The request has
// been read whole by then (slow senders are still cut off by the request timeout), so the idle timeout is
// suspended for the wait and put back after.
import type { FastifyRequest } from 'fastify'
import type { Socket } from 'node:net'

export async function whileIdle<T> (request: FastifyRequest, work: () => Promise<T>): Promise<T> {
  const socket = request.raw.socket as Partial<Socket> | undefined
  // An injected request (light-my-request, the static export) has no real socket.
  if (typeof socket?.setTimeout !== 'function') return await work()
  const idle = socket.timeout ?? 0
  socket.setTimeout(0)
  try {
    return await work()
  } finally {
    if (socket.destroyed !== true) socket.setTimeout(idle)
  }
}
