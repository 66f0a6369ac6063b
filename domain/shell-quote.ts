// Words for a command people paste into a POSIX shell: every word of the commands the portal shows comes from
// repository text, so each is quoted and the command reads back as exactly the words meant, with nothing run.

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
 * Names as the last arguments of a command: `--` (the end of options for yum's optparse and argparse, dnf,
 * zypper and getopt alike) comes first only when a name starts with `-`, so no name is read as an option.
 */
export function nameArguments (names: string[]): string {
  const endOfOptions = names.some((n) => n.startsWith('-')) ? '-- ' : ''
  return `${endOfOptions}${names.map(shellQuote).join(' ')}`
}
