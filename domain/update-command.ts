// The commands that apply an advisory, per package manager: yum (Amazon Linux 1 and 2, EPLL, EL7), dnf
// (Amazon Linux 2023, Fedora, Rocky, Alma), zypper (openSUSE, SUSE), or none (Bottlerocket updates itself
// as a whole image). Pages, feeds and the API all take their commands from here.
import { nameArguments, shellQuote } from './shell-quote.js'

export const packageManagers = ['yum', 'dnf', 'zypper', 'none'] as const
export type PackageManager = typeof packageManagers[number]

export function isPackageManager (value: string): value is PackageManager {
  return (packageManagers as readonly string[]).includes(value)
}

// By advisory id prefix, first match wins; anything else is yum's (EPLL, and every yum repo the worker reads).
const byPrefix: Array<[RegExp, PackageManager]> = [
  [/^ALAS20(?:22|23)/i, 'dnf'],
  [/^ALAS/i, 'yum'],
  [/^(?:FEDORA|ALSA|ALBA|ALEA|RLSA|RLBA|RLEA|RXSA)-/i, 'dnf'],
  [/^(?:ELSA|ELBA|ELEA|RHSA|RHBA|RHEA|CESA|CEBA|CEEA)-/i, 'yum'],
  [/^(?:openSUSE|SUSE)-/i, 'zypper'],
  [/^BRSA-/i, 'none']
]

/** The package manager an advisory id implies, for products whose configuration names none. */
export function defaultPackageManager (advisoryId: string): PackageManager {
  return byPrefix.find(([re]) => re.test(advisoryId))?.[1] ?? 'yum'
}

/** The product's configured package manager, else the one the advisory's id implies. */
export function packageManagerOf (configured: string | null, advisoryId: string): PackageManager {
  return configured !== null && isPackageManager(configured) ? configured : defaultPackageManager(advisoryId)
}

// yum and dnf update by name as ALAS writes it; dnf's own verb is `upgrade` (`update` is its alias).
const updateVerb: Record<Exclude<PackageManager, 'none'>, string> = { yum: 'yum update', dnf: 'dnf upgrade', zypper: 'zypper update' }

/** `yum update openssl curl`: the packages by name; null without a package manager or a name. */
export function updateCommand (manager: PackageManager, names: string[]): string | null {
  if (manager === 'none' || names.length === 0) return null
  return `${updateVerb[manager]} ${nameArguments(names)}`
}

/**
 * Exactly these advisories: `yum update --advisory=A --advisory=B` (yum and dnf repeat the option; the id is
 * its value, so a leading `-` is harmless), `zypper install -t patch A B` (libzypp names a patch by its id).
 */
export function advisoryCommand (manager: PackageManager, ids: string[]): string | null {
  if (manager === 'none' || ids.length === 0) return null
  if (manager === 'zypper') return `zypper install -t patch ${nameArguments(ids)}`
  return `${updateVerb[manager]} ${ids.map((id) => `--advisory=${shellQuote(id)}`).join(' ')}`
}

/** What the API calls `update_command`: by name when the advisory names packages, else by its id. */
export function preferredUpdateCommand (manager: PackageManager, names: string[], id: string): string | null {
  return updateCommand(manager, names) ?? advisoryCommand(manager, [id])
}

/**
 * Downloads the source RPMs from the product's source repo (disabled by default, as EPLL's epll-source is):
 * `yumdownloader --enablerepo=epll-source --source openssl`, or dnf's `dnf download`. zypper has no such
 * command by repo id, and without a package manager there is nothing to run: null.
 */
export function sourceDownloadCommand (manager: PackageManager, sourceRepo: string, names: string[]): string | null {
  if (names.length === 0) return null
  const repo = `--enablerepo=${shellQuote(sourceRepo)}`
  if (manager === 'yum') return `yumdownloader ${repo} --source ${nameArguments(names)}`
  if (manager === 'dnf') return `dnf download ${repo} --source ${nameArguments(names)}`
  return null
}
