// Bounds on one advisory in updateinfo.xml, apart from the parser so that the worker can name them
// without loading the parser (an unchanged repo never parses).

/**
 * Far above real data (the largest real <update>s are a few hundred KB: kernel advisories with
 * hundreds of packages) and far below what would hurt memory or the pages that show the advisory.
 * Characters are UTF-16 code units, as JavaScript counts them.
 */
export interface UpdateLimits {
  /** One attribute value, and one text field other than the description. */
  maxField: number
  /** The <description> text. */
  maxDescription: number
  /** The whole <update>, as source characters from its start tag to its end tag. */
  maxUpdate: number
  /** Elements inside one <update> (a package with its filename and sum is three). */
  maxElements: number
  /** Nesting levels in the document; libxml2 (yum, dnf, createrepo_c) refuses deeper documents too. */
  maxDepth: number
}

export const defaultUpdateLimits: UpdateLimits = {
  maxField: 1024 * 1024,
  maxDescription: 4 * 1024 * 1024,
  maxUpdate: 16 * 1024 * 1024,
  maxElements: 200_000,
  maxDepth: 256
}
