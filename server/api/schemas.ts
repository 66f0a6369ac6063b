// JSON shapes of the API, as TypeBox schemas: Fastify validates input and serializes output with them, and
// /openapi.json is generated from them.
import { Type, type Static } from 'typebox'
import { Nullable } from './nullable.js'

const many = (description: string) => Type.Optional(Type.Array(Type.String(), { description }))
const one = (description: string) => Type.Optional(Type.String({ description }))

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'HTTP status text, for example "Bad Request"' }),
  message: Type.String({ description: 'What was wrong, naming the parameter' })
}, { description: 'Every error, with the matching status code' })

export const ConflictBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  products: Type.Array(Type.String(), { description: 'Products that hold an advisory with this id' })
})

export const ListQuery = Type.Object({
  product: many('Product id; repeat or separate with commas'),
  severity: many('critical, important, moderate, medium, low, none (no severity), or another severity present in the data'),
  type: many('security, bugfix, enhancement, newpackage, or another type present in the data'),
  package: one('Binary or source package name'),
  cve: one('CVE id'),
  q: one('Full-text search over id, title, description, packages and CVEs (at most 200 characters)'),
  issued_after: one('YYYY-MM-DD (from the start of that UTC day) or an ISO 8601 time with a zone'),
  issued_before: one('YYYY-MM-DD (until the end of that UTC day) or an ISO 8601 time with a zone'),
  updated_after: one('Advisories updated (or issued) after this time: for polling'),
  withdrawn: one('no, yes or any (default any)'),
  sort: one('issued (default) or updated'),
  order: one('desc (default) or asc'),
  limit: one('1 to 1000, default 100'),
  cursor: one('next_cursor from the previous page')
})

export const AdvisorySummary = Type.Object({
  id: Type.String(),
  product: Type.String(),
  type: Nullable(Type.String()),
  severity: Nullable(Type.String({ description: 'lower-case' })),
  title: Nullable(Type.String()),
  issued: Nullable(Type.String({ description: 'ISO 8601 UTC' })),
  updated: Nullable(Type.String({ description: 'ISO 8601 UTC' })),
  withdrawn: Type.Boolean(),
  source_packages: Type.Array(Type.String()),
  cves: Type.Array(Type.String()),
  update_command: Nullable(Type.String({ description: 'The command that applies the fix in the product\'s package manager (yum, dnf or zypper), quoted for a POSIX shell; null when the product has none (apply it with the OS\'s update mechanism)' })),
  html_url: Type.String(),
  api_url: Type.String()
})

export const AdvisoryList = Type.Object({
  items: Type.Array(AdvisorySummary),
  next_cursor: Nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last page' }))
})

/** GET /api/v1/products/{product}/advisories/page/{n}.json: a product's advisories in numbered pages. */
export const AdvisoryPage = Type.Object({
  items: Type.Array(AdvisorySummary, { description: 'Newest issued first (ties by id), 1000 per page' }),
  page: Type.Integer({ minimum: 1 }),
  pages: Type.Integer({ minimum: 1, description: 'At least 1: a product without advisories has one empty page' }),
  next: Nullable(Type.String({ description: 'Path of the next page; null on the last page' })),
  prev: Nullable(Type.String({ description: 'Path of the previous page; null on the first page' }))
}, { description: 'A page of a product\'s advisories at a path-only URL (a static copy of the portal has these files)' })

export const PackageBody = Type.Object({
  name: Type.String(),
  epoch: Type.String(),
  version: Type.String(),
  release: Type.String(),
  arch: Type.String(),
  src: Nullable(Type.String()),
  filename: Nullable(Type.String()),
  collection: Nullable(Type.String())
})

export const AdvisoryBody = Type.Object({
  id: Type.String(),
  product: Type.String(),
  type: Nullable(Type.String()),
  status: Nullable(Type.String()),
  severity: Nullable(Type.String({ description: 'lower-case; null when none' })),
  title: Nullable(Type.String()),
  summary: Nullable(Type.String()),
  description: Nullable(Type.String()),
  solution: Nullable(Type.String()),
  issued: Nullable(Type.String({ description: 'ISO 8601 UTC; null when unknown' })),
  updated: Nullable(Type.String({ description: 'ISO 8601 UTC; null when unknown' })),
  issued_raw: Nullable(Type.String({ description: 'as updateinfo.xml gives it' })),
  updated_raw: Nullable(Type.String()),
  withdrawn: Type.Boolean(),
  reboot_suggested: Type.Boolean(),
  cves: Type.Array(Type.String()),
  references: Type.Array(Type.Object({ type: Nullable(Type.String()), id: Nullable(Type.String()), href: Nullable(Type.String()), title: Nullable(Type.String()) })),
  packages: Type.Array(PackageBody),
  modules: Type.Array(Type.Object({ name: Nullable(Type.String()), stream: Nullable(Type.String()), version: Nullable(Type.String()), context: Nullable(Type.String()), arch: Nullable(Type.String()) })),
  package_manager: Type.String({ description: 'yum, dnf, zypper or none: the product\'s, else implied by the advisory id' }),
  update_command: Nullable(Type.String({ description: 'By package name when the advisory names packages, else by advisory id; quoted for a POSIX shell; null when the package manager is none' })),
  source_repo: Nullable(Type.String({ description: 'The yum repo id of the product\'s source RPMs (for yumdownloader --enablerepo)' })),
  signing_key: Nullable(Type.Object({
    fingerprint: Type.String({ description: 'Upper-case hex, as gpg --with-colons prints it' }),
    user_id: Type.String(),
    created: Type.String({ description: 'ISO 8601 UTC' }),
    import_url: Nullable(Type.String({ description: 'What to give rpm --import; null when only the file\'s name is known' }))
  }, { description: 'The product\'s package signing key, as last read; null when none is configured or none was read yet' })),
  html_url: Type.String()
})

const FixedPackage = Type.Object({
  nevra: Type.String(),
  name: Type.String(),
  evr: Type.String(),
  arch: Type.String()
})

export const AdvisoryWithFixes = Type.Object({
  id: Type.String(),
  product: Type.String(),
  severity: Nullable(Type.String()),
  type: Nullable(Type.String()),
  title: Nullable(Type.String()),
  issued: Nullable(Type.String()),
  withdrawn: Type.Boolean(),
  fixed: Type.Array(FixedPackage),
  html_url: Type.String(),
  api_url: Type.String()
})

export const CveBody = Type.Object({ cve: Type.String(), html_url: Type.String(), advisories: Type.Array(AdvisoryWithFixes) })
export const PackageAdvisories = Type.Object({ name: Type.String(), html_url: Type.String(), advisories: Type.Array(AdvisoryWithFixes) })

export const ProductsBody = Type.Object({
  products: Type.Array(Type.Object({
    id: Type.String(),
    name: Type.String(),
    advisories: Type.Integer(),
    withdrawn: Type.Integer(),
    package_manager: Nullable(Type.String({ description: 'yum, dnf, zypper or none as configured; null: implied by each advisory\'s id' })),
    source_repo: Nullable(Type.String()),
    signing_key: Nullable(Type.Object({
      fingerprint: Nullable(Type.String({ description: 'Of the last successful read; null when none succeeded yet' })),
      user_id: Nullable(Type.String()),
      created: Nullable(Type.String()),
      import_url: Nullable(Type.String()),
      last_run_at: Nullable(Type.String()),
      status: Nullable(Type.String({ description: 'ok or failed: the last read' })),
      error: Nullable(Type.String())
    })),
    repos: Type.Array(Type.Object({
      name: Nullable(Type.String()),
      url: Type.String(),
      last_run_at: Nullable(Type.String()),
      last_success_at: Nullable(Type.String()),
      status: Nullable(Type.String({ description: 'ok, unchanged or failed' })),
      error: Nullable(Type.String())
    }))
  }))
})

export const InstalledObject = Type.Object({
  name: Type.String(),
  // Null first: Ajv's type coercion would turn null into "" in a String branch.
  epoch: Type.Optional(Type.Union([Type.Null(), Type.String(), Type.Integer()], { description: 'Absent: not known (compared as the fix\'s epoch); null or "(none)": no epoch (0)' })),
  version: Type.String(),
  release: Type.String(),
  arch: Type.String()
}, { additionalProperties: false })

export const QueryBody = Type.Object({
  product: Type.String({ description: 'Product id' }),
  packages: Type.Array(Type.Union([Type.String({ description: 'as rpm -qa prints it: name-[epoch:]version-release.arch' }), InstalledObject]), { maxItems: 50000 })
}, { additionalProperties: false })

export const QueryResult = Type.Object({
  product: Type.String(),
  checked: Type.Integer({ description: 'Installed packages read' }),
  affected: Type.Integer({ description: 'Installed packages with at least one applicable advisory' }),
  advisories: Type.Integer({ description: 'Distinct applicable advisories' }),
  severities: Type.Record(Type.String(), Type.Integer(), { description: 'Distinct applicable advisories by severity in lower case ("none" without one): for CI gates' }),
  epochs_assumed: Type.Integer({ description: 'Installed packages given without an epoch; each was compared as if its epoch were the fixed build\'s' }),
  note: Nullable(Type.String({ description: 'Says how epochs were assumed, when they were' })),
  results: Type.Array(Type.Object({
    installed: Type.String({ description: 'name-[epoch:]version-release.arch' }),
    epoch_assumed: Type.Boolean({ description: 'No epoch was given for this package: compared as if it had the fixed build\'s' }),
    advisories: Type.Array(Type.Object({
      id: Type.String(),
      severity: Nullable(Type.String()),
      type: Nullable(Type.String()),
      fixed: Type.String({ description: 'NEVRA of the fixed package' }),
      fixed_evr: Type.String(),
      html_url: Type.String(),
      api_url: Type.String()
    }))
  })),
  unparsed: Type.Array(Type.Object({
    index: Type.Integer({ description: 'Position in packages[] or line number (from 1) in a text body' }),
    input: Type.String(),
    reason: Type.String()
  }))
})

export const Health = Type.Object({ status: Type.String(), advisories: Type.Integer(), data_generation: Type.Integer() })
export const Ready = Type.Object({
  status: Type.String({ description: 'ready or not ready' }),
  schema_version: Type.Integer(),
  last_ingest_at: Nullable(Type.String()),
  last_ingest_age_seconds: Nullable(Type.Integer()),
  failed_repos: Type.Integer(),
  message: Type.String()
})

export type QueryBodyType = Static<typeof QueryBody>

/** GET /api/v1/stats and /api/v1/stats.csv: a range of months (docs/api.md, "Statistics"). */
export const StatsQuery = Type.Object({
  from: one('First month, YYYY-MM. Default: 11 months before `to`; without either, the 12 months to the month of the newest active advisory'),
  to: one('Last month, YYYY-MM (included). Default: 11 months after `from`; at most 240 months from `from`')
})

const StatsCounts = {
  cves: Type.Integer({ description: 'Distinct CVEs fixed by the active advisories issued then (over a range, a CVE fixed in two months counts once)' }),
  advisories: Type.Integer({ description: 'Active advisories issued then (withdrawn ones are not counted)' }),
  by_severity: Type.Record(Type.String(), Type.Integer(), { description: 'Advisories per severity, one key per entry of `severities`' })
}

export const StatsBody = Type.Object({
  from: Type.String({ description: 'First month, YYYY-MM' }),
  to: Type.String({ description: 'Last month, YYYY-MM (included)' }),
  months: Type.Array(Type.String(), { description: 'Every month of the range, in order' }),
  newest_issued: Nullable(Type.String({ description: 'Issued time of the newest active advisory (ISO 8601 UTC): the default range ends with its month' })),
  severities: Type.Array(Type.String(), { description: 'Severities in the data, most urgent first, then "none" (no severity)' }),
  products: Type.Array(Type.Object({
    id: Type.String(),
    name: Type.String(),
    ...StatsCounts,
    months: Type.Array(Type.Object({ month: Type.String({ description: 'YYYY-MM, by issued date (UTC)' }), ...StatsCounts }))
  }))
}, { description: 'Per product and month: distinct CVEs fixed and advisories by severity, counted by issued month' })
