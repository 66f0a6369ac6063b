// Times as the database, the API and OSV spell them: ISO 8601 in UTC to the second ("2024-01-02T03:04:05Z").

/** A moment as ISO 8601 UTC without milliseconds; null for an invalid time or one past year 9999. */
export function isoSeconds (moment: number | Date): string | null {
  const date = new Date(moment)
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999) return null
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Now, as isoSeconds spells it. */
export const nowIsoSeconds = (): string => isoSeconds(Date.now())!

/** Drops the milliseconds of an ISO time that already is in UTC (RFC 3339 as OSV writes it). */
export const withoutMillis = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z')
