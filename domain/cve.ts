// CVE ids as MITRE writes them: CVE-YYYY-NNNN (four or more digits), matched without regard to case and kept
// in upper case. One rule for the worker that reads references and the server that reads URLs and filters.

/** A whole string that is a CVE id. */
export const cveIdPattern = /^CVE-\d{4}-\d{4,}$/i

/** CVE ids inside a text (a reference title, a description). */
export const cveIdsInText = (): RegExp => /CVE-\d{4}-\d{4,}/gi

export function isCveId (text: string): boolean {
  return cveIdPattern.test(text)
}

/** What a 400 or 404 says about a string that is not a CVE id. */
export const notACveId = (text: string): string => `"${text}" is not a CVE id (CVE-YYYY-NNNN)`
