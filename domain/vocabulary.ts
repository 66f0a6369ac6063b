// The words updateinfo files use for severity and type, in lower case as the database keeps them. Other
// values are accepted where the data holds them; these are known even before any advisory carries them.

/** Severities, most urgent first (`high` and `medium` are used by some distributions instead of important/moderate). */
export const severityOrder = ['critical', 'important', 'high', 'moderate', 'medium', 'low'] as const

/** The severities a list filter offers before the data names any, and `none` for advisories without one. */
export const knownSeverities = ['critical', 'important', 'moderate', 'medium', 'low', 'none'] as const

export const knownTypes = ['security', 'bugfix', 'enhancement', 'newpackage'] as const

/** Position in severityOrder; a severity it does not know comes after those it does, none after all. */
export function severityRank (severity: string | null): number {
  if (severity === null) return severityOrder.length + 1
  const i = (severityOrder as readonly string[]).indexOf(severity)
  return i === -1 ? severityOrder.length : i
}
