// The yum commands of the "Check a server" page, from the one place every command is made
// (domain/update-command.ts); kept under their earlier names for the page and its tests.
import { advisoryCommand, updateCommand } from '../domain/update-command.js'

export { shellQuote } from '../domain/shell-quote.js'

/** `yum update openssl curl`, as ALAS writes it. */
export function yumUpdateCommand (names: string[]): string {
  return updateCommand('yum', names) ?? 'yum update'
}

/** `yum update --advisory=ALAS-2024-001`. */
export function yumAdvisoryCommand (id: string): string {
  return yumAdvisoriesCommand([id])
}

/** `yum update --advisory=A --advisory=B`: several advisories in one run (yum and dnf both repeat the option). */
export function yumAdvisoriesCommand (ids: string[]): string {
  return advisoryCommand('yum', ids) ?? 'yum update'
}
