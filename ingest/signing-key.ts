// A product's package signing key: fetched like any repo file (ingest/fetcher.ts: its timeouts, deadline, size
// cap and redirect checks) and read with openpgp. Only an armored public key is accepted; what is kept of it is
// what people compare with `rpm -qi gpg-pubkey-*` or `gpg --fingerprint`: fingerprint, primary user id, creation time.
import { join } from 'node:path'
import type { KeyFacts } from '../db/product-store.js'
import { fetchText, toLocation, type FetchOptions } from './fetcher.js'

/** Real keys are a few KB (a key with many signatures some tens): far above any, far below memory trouble. */
export const maxKeyBytes = 1024 * 1024

export class KeyError extends Error { override name = 'KeyError' }

const publicBlock = '-----BEGIN PGP PUBLIC KEY BLOCK-----'
const privateBlock = '-----BEGIN PGP PRIVATE KEY BLOCK-----'

/** The facts of the first key in an armored public key block (rpm --import imports each; the first is the product's). */
export async function readArmoredKey (text: string): Promise<KeyFacts> {
  // A private key is never parsed, so it is never held beyond this check.
  if (text.includes(privateBlock)) throw new KeyError('is a private key: give the public key (gpg --armor --export)')
  if (!text.includes(publicBlock)) throw new KeyError(`is not an armored OpenPGP public key (no "${publicBlock}" line)`)
  // Loaded only when a product names a key: most runs never need it.
  const openpgp = await import('openpgp')
  let keys
  try {
    keys = await openpgp.readKeys({ armoredKeys: text })
  } catch (err) {
    throw new KeyError(`is not a readable OpenPGP public key: ${(err as Error).message}`)
  }
  const key = keys[0]
  if (key === undefined) throw new KeyError('holds no key')
  if (key.isPrivate()) throw new KeyError('is a private key: give the public key (gpg --armor --export)')
  let userId: string
  try {
    userId = (await key.getPrimaryUser()).user.userID?.userID ?? ''
  } catch {
    // No valid self-signature now (expired, or a hash openpgp refuses): the first user id is still what rpm shows.
    userId = key.getUserIDs()[0] ?? ''
  }
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    userId,
    created: key.getCreationTime().toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
}

/** Fetches the key at `source` (a URL or an absolute path) and reads it; a failure names what was wrong. */
export async function fetchSigningKey (source: string, tempDir: string, fetch: FetchOptions): Promise<KeyFacts> {
  let text: string | null
  try {
    text = (await fetchText(toLocation(source), join(tempDir, 'signing-key'), { ...fetch, maxBytes: Math.min(fetch.maxBytes, maxKeyBytes) })).text
  } catch (err) {
    throw new KeyError((err as Error).message)
  }
  try {
    return await readArmoredKey(text ?? '')
  } catch (err) {
    throw new KeyError(`${source} ${(err as Error).message}`)
  }
}
