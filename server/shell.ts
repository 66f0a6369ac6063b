// The yum commands the page and feeds show people to paste: every word comes from repository text, so each
// is quoted for a POSIX shell and the command reads back as exactly the words meant, with nothing run.

/** Characters no POSIX shell treats specially anywhere in an argument (`~` and `^` are not among them). */
const plainWord = /^[A-Za-z0-9._+:@%/=,-]+$/

/**
 * A word as a POSIX shell reads it back exactly: left alone when made only of plain characters, else in single
 * quotes, where nothing is special; a `'` becomes `'\''`. Newlines stay inside the quotes, so the word is exact.
 */
export function shellQuote (word: string): string {
  return plainWord.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

/**
 * `yum update openssl curl`, as ALAS writes it. `--` (which yum's option parser, optparse or argparse, takes as
 * the end of options) comes first only when a name starts with `-`, so no name is read as an option.
 */
export function yumUpdateCommand (names: string[]): string {
  const endOfOptions = names.some((n) => n.startsWith('-')) ? '-- ' : ''
  return `yum update ${endOfOptions}${names.map(shellQuote).join(' ')}`
}

/** `yum update --advisory=ALAS-2024-001`: the id is the option's value, so a leading `-` is harmless. */
export function yumAdvisoryCommand (id: string): string {
  return yumAdvisoriesCommand([id])
}

/** `yum update --advisory=A --advisory=B`: several advisories in one run (yum and dnf both repeat the option). */
export function yumAdvisoriesCommand (ids: string[]): string {
  return `yum update ${ids.map((id) => `--advisory=${shellQuote(id)}`).join(' ')}`
}
