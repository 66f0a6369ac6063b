// One advisory's page at its canonical URL `/<product>/<ID>`, in the order ALAS uses.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AdvisoryDetail } from '../../db/advisory-read.js'
import { shellQuote } from '../../domain/shell-quote.js'
import { sourceName } from '../../domain/source-name.js'
import { sourceRpms } from '../../domain/source-rpms.js'
import { sourceDownloadCommand } from '../../domain/update-command.js'
import { nevra } from '../../domain/nevra.js'
import { byArch, referenceLabel, safeHref, sourcePackages, updateCommands, urls } from '../format.js'
import { NotFoundError } from '../http/errors.js'

export const advisoryPage: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/:product/:id', {
    schema: { summary: 'An advisory page', tags: ['pages'], params: Type.Object({ product: Type.String(), id: Type.String() }) }
  }, async (request, reply) => {
    const { product, id } = request.params
    return reply.page('advisory', () => {
      const advisory = app.advisories.get(product, id)
      if (advisory === null) throw notFound(app.data.vocabulary().products.map((p) => p.id), product, id, app.advisories.productsOf(id))
      const cveRefs = new Set(advisory.cves)
      const otherReferences = advisory.references
        .filter((r) => !(r.type === 'cve' && r.id !== null && cveRefs.has(r.id.toUpperCase())))
        .map((r) => ({ ...r, label: referenceLabel(r.type, r.href), safeHref: safeHref(r.href) }))
      const sources = sourcePackages(advisory.packages)
      const commands = updateCommands(advisory, sources)
      const binaries = advisory.packages.filter((p) => p.arch !== 'src' && p.arch !== 'nosrc')
      const srpms = sourceRpms(advisory.packages)
      // The source RPMs' own names when the updateinfo gives them (Fedora's binary src attributes do not).
      const srpmNames = srpms.length === 0 ? sources : [...new Set(srpms.map((f) => sourceName(`${f}.rpm`) ?? f))].sort()
      return {
        title: `${advisory.id}: ${advisory.title ?? advisory.product_name}`,
        description: `${advisory.product_name} advisory ${advisory.id}${advisory.severity === null ? '' : ` (${advisory.severity})`}`,
        canonical: urls.advisory(advisory.product, advisory.id),
        nav: 'advisories',
        advisory,
        sources,
        commands,
        arches: packageGroups(binaries, srpms, advisory.source_repo !== null),
        sourceDownload: advisory.source_repo === null ? null : sourceDownloadCommand(commands.manager, advisory.source_repo, srpmNames),
        key: signingKeyBlock(advisory, binaries),
        // Shown once something changed: when this portal first saw an advisory differs between replicas that
        // ingested independently, and an unchanged advisory's page is the same bytes on each (test/replica-etags).
        timeline: timeline(advisory),
        otherReferences
      }
    })
  })
}

/**
 * "New packages" as ALAS lists them, by architecture in alphabetical order: each binary package as NEVRA, and
 * under `src:` the source RPMs (a group of its own when the product has a source repo, even without file names).
 */
function packageGroups (binaries: AdvisoryDetail['packages'], srpms: string[], sourceRepo: boolean): Array<{ arch: string, packages: string[] }> {
  const groups = byArch(binaries).map((g) => ({ arch: g.arch, packages: g.packages.map(nevra) }))
  if (srpms.length > 0 || sourceRepo) groups.push({ arch: 'src', packages: srpms })
  return groups.sort((x, y) => (x.arch < y.arch ? -1 : x.arch > y.arch ? 1 : 0))
}

/** An unknown product says so (a mistyped product is the likelier slip); a known one names where the id exists. */
function notFound (products: string[], product: string, id: string, elsewhere: string[]): NotFoundError {
  if (!products.includes(product)) {
    return new NotFoundError('No such product', `No such product: "${product}". The products are ${products.join(', ')}. Search the advisories instead:`, id)
  }
  const hint = elsewhere.length > 0 ? ` It exists in ${elsewhere.join(', ')}.` : ''
  return new NotFoundError('Advisory not found', `${product} has no advisory "${id}".${hint} Search for it instead:`, id)
}

/** The key block: shown once a key was read; `rpm -K` names one of the advisory's own package files. */
function signingKeyBlock (a: AdvisoryDetail, binaries: AdvisoryDetail['packages']) {
  const key = a.signing_key
  if (key === null || key.fingerprint === null) return null
  const p = binaries[0]
  const file = p === undefined ? 'PACKAGE.rpm' : p.filename?.slice(p.filename.lastIndexOf('/') + 1) ?? `${p.name}-${p.version}-${p.release}.${p.arch}.rpm`
  return {
    ...key,
    importCommand: `rpm --import ${shellQuote(key.import_url ?? key.file_name)}`,
    verifyCommand: `rpm -K ${shellQuote(file)}`
  }
}

interface Dates { issued: string | null, issuedRaw: string | null, updated: string | null, updatedRaw: string | null }

export type TimelineEntry =
  | { at: string, kind: 'first-seen' } & Dates
  | { at: string, kind: 'dates', from: Dates, to: Dates }
  | { at: string, kind: 'withdrawn' | 'reinstated' }

/**
 * What the worker recorded of the advisory, oldest first: when it was first seen (with the dates it had then),
 * each change of its issued or updated date (advisory_history keeps the values before it), and each withdrawal
 * and reinstatement (advisory_event, since migration 0005; an older withdrawal has only withdrawn_at).
 */
export function timeline (a: AdvisoryDetail): TimelineEntry[] {
  const dates = (h: { issued: string | null, issued_raw: string | null, updated: string | null, updated_raw: string | null }): Dates =>
    ({ issued: h.issued, issuedRaw: h.issued_raw, updated: h.updated, updatedRaw: h.updated_raw })
  const changes = [...a.history].reverse()
  const values = [...changes.map(dates), dates(a)]
  // Times have seconds only: within one second, the run that recorded it orders (an operator's removal last).
  const entries: Array<{ entry: TimelineEntry, run: number }> = changes.map((h, i) => ({ entry: { at: h.changed_at, kind: 'dates', from: values[i]!, to: values[i + 1]! }, run: h.run_id }))
  entries.push(...a.events.map((e) => ({ entry: { at: e.at, kind: e.kind }, run: e.run_id ?? Number.MAX_SAFE_INTEGER })))
  if (a.withdrawn && a.withdrawn_at !== null && !a.events.some((e) => e.kind === 'withdrawn' && e.at === a.withdrawn_at)) {
    entries.push({ entry: { at: a.withdrawn_at, kind: 'withdrawn' }, run: Number.MAX_SAFE_INTEGER })
  }
  entries.sort((x, y) => x.entry.at.localeCompare(y.entry.at) || x.run - y.run)
  return [{ at: a.first_seen, kind: 'first-seen', ...values[0]! }, ...entries.map((e) => e.entry)]
}
