// Renders a list of advisories as RSS 2.0, Atom 1.0 or JSON Feed 1.1 with the `feed` package: items titled
// in ALAS's form, linked by their canonical URL; the item's HTML comes from views/partials/feed-item.eta.
import { Feed, type Item } from 'feed'
import type { AdvisorySummary, ListedPackage } from '../../db/advisory-query.js'
import type { FeedFormat } from './feed-links.js'
import { paragraphs, urls } from '../format.js'

export interface FeedChannel {
  title: string
  description: string
  /** Absolute URL of the HTML page showing the same list. */
  pageUrl: string
  /** Absolute URL of this feed exactly as requested (atom:link rel="self"). */
  selfUrl: string
  /** When the data last changed: lastBuildDate / updated come from the data, never the clock. */
  updated: Date
  baseUrl: string
}

export interface FeedEntry { advisory: AdvisorySummary, description: string | null, packages: ListedPackage[] }

const maxSummary = 600

/** `EPLL-2016-0042 (important): openssl`, as ALAS titles its items, so existing consumers keep working. */
export function itemTitle (a: AdvisorySummary): string {
  const severity = a.severity === null ? '' : ` (${a.severity})`
  const packages = a.source_packages.length === 0 ? '' : `: ${a.source_packages.join(', ')}`
  return `${a.id}${severity}${packages}`
}

/** An item's HTML content (views/partials/feed-item.eta). */
export type ItemHtml = (entry: FeedEntry, summary: string) => string

export function renderFeed (format: FeedFormat, channel: FeedChannel, entries: FeedEntry[], itemHtml: ItemHtml): string {
  // JSON.stringify escapes everything; only the XML formats need their text made fit for the feed package.
  const text = format === 'json' ? (s: string): string => s : xmlText
  const feed = new Feed({
    title: text(channel.title),
    description: text(channel.description),
    id: text(channel.selfUrl),
    link: channel.pageUrl,
    language: 'en',
    ttl: 30,
    updated: channel.updated,
    generator: 'Lambda Linux Security Center',
    copyright: '',
    favicon: `${channel.baseUrl}/static/favicon.svg`,
    feedLinks: { [format]: channel.selfUrl }
  })
  for (const entry of entries) feed.addItem(item(format, text, channel.baseUrl, entry, channel.updated, itemHtml))
  if (format === 'rss') return xmlRestore(feed.rss2())
  if (format === 'atom') return xmlRestore(feed.atom1())
  return jsonFeed11(feed.json1(), channel)
}

/**
 * XML 1.0 cannot carry most control characters, U+FFFE/U+FFFF or unpaired surrogates, even escaped, and the
 * feed package passes them through: drop them so the feed stays well-formed whatever an advisory holds.
 */
export function xmlChars (xml: string): string {
  // eslint-disable-next-line no-control-regex
  return xml.replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
}

// The feed package writes text and attribute values through xml-js, which escapes `<` in text but not in
// attributes (an Atom category's term and label), and turns a literal "&amp;" back into "&". So plain text is
// handed over with `&` and `<` as U+FFFE and U+FFFF, two characters XML forbids (xmlChars has already taken
// them out of the data), and the finished document gets them back as entities, right in text and attributes.
const ampMark = '\ufffe'
const ltMark = '\uffff'

/** Plain text (not markup) for an XML feed element or attribute that the feed package writes. */
function xmlText (text: string): string {
  return xmlChars(text).replace(/&/g, ampMark).replace(/</g, ltMark)
}

function xmlRestore (xml: string): string {
  return xmlChars(xml.replace(/\ufffe/g, '&amp;').replace(/\uffff/g, '&lt;'))
}

function item (format: FeedFormat, text: (s: string) => string, baseUrl: string, entry: FeedEntry, fallbackDate: Date, itemHtml: ItemHtml): Item {
  const a = entry.advisory
  const link = `${baseUrl}${urls.advisory(a.product, a.id)}`
  // The feed package puts RSS and Atom titles in CDATA, which an HTML reader parses: escape them so every
  // reader shows the characters. JSON Feed titles are plain text by the spec and stay exact.
  const title = format === 'json' ? itemTitle(a) : escapeHtml(xmlChars(itemTitle(a)))
  const issued = a.issued === null ? null : new Date(a.issued)
  const updated = a.updated === null ? issued : new Date(a.updated)
  const html = itemHtml(entry, summaryText(entry)).trimEnd()
  const content = format === 'json' ? html : xmlChars(html)
  const category = (value: string, domain: string): { name: string, term: string, domain: string } => ({ name: text(value), term: text(value), domain })
  const categories = [category(a.severity ?? 'none', 'severity'), category(a.type ?? 'unspecified', 'type'), category(a.product, 'product')]
  if (format === 'rss') {
    // No id or guid: the feed package then writes <guid isPermaLink="true"> from the link.
    return { title, link, date: updated ?? fallbackDate, published: issued ?? undefined, description: content, category: categories }
  }
  return {
    title,
    id: link,
    link,
    date: updated ?? fallbackDate,
    published: issued ?? undefined,
    description: format === 'json' ? summaryText(entry) : undefined,
    content,
    category: categories
  }
}

function summaryText (entry: FeedEntry): string {
  const first = paragraphs(entry.description)[0] ?? entry.advisory.title ?? ''
  return first.length > maxSummary ? `${first.slice(0, maxSummary - 1)}…` : first
}

/** The feed package writes JSON Feed 1; 1.1 renames `author` to `authors` and adds `language`. */
function jsonFeed11 (json: string, channel: FeedChannel): string {
  const doc = JSON.parse(json) as Record<string, unknown>
  doc.version = 'https://jsonfeed.org/version/1.1'
  doc.language = 'en'
  doc.feed_url = channel.selfUrl
  delete doc.author
  return JSON.stringify(doc)
}

export function escapeHtml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}
