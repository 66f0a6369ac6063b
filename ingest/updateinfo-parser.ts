// Streaming updateinfo.xml parser: text in, one raw <update> record at a time out.
// Elements are matched by local name (SUSE uses a default namespace); unknown elements are skipped
// with their subtree, as createrepo_c does. Only XML's five entities exist: no DTD is processed.
import { SaxesParser, type SaxesTagPlain } from 'saxes'

export interface RawReference { type?: string, id?: string, href?: string, title?: string }
export interface RawModule { name?: string, stream?: string, version?: string, context?: string, arch?: string }
export interface RawPackage {
  name?: string
  epoch?: string
  version?: string
  release?: string
  arch?: string
  src?: string
  filename?: string
  sumType?: string
  sum?: string
  rebootSuggested?: string
  restartSuggested?: string
  reloginSuggested?: string
}
export interface RawCollection { short?: string, name?: string, modules: RawModule[], packages: RawPackage[] }

export interface RawUpdate {
  line: number
  type?: string
  status?: string
  version?: string
  from?: string
  author?: string
  id?: string
  title?: string
  issued?: string
  updated?: string
  severity?: string
  summary?: string
  description?: string
  solution?: string
  rights?: string
  release?: string
  pushcount?: string
  rebootSuggested?: string // undefined: absent; '': empty element
  references: RawReference[]
  collections: RawCollection[]
}

export class UpdateinfoSyntaxError extends Error { override name = 'UpdateinfoSyntaxError' }

type UpdateText = 'id' | 'title' | 'severity' | 'summary' | 'description' | 'solution' | 'rights' | 'release' | 'pushcount' | 'rebootSuggested'
const updateTextElements: Record<string, UpdateText> = {
  id: 'id',
  title: 'title',
  severity: 'severity',
  summary: 'summary',
  description: 'description',
  solution: 'solution',
  rights: 'rights',
  release: 'release',
  pushcount: 'pushcount',
  reboot_suggested: 'rebootSuggested'
}
type PackageText = 'filename' | 'sum' | 'rebootSuggested' | 'restartSuggested' | 'reloginSuggested'
const packageTextElements: Record<string, PackageText> = {
  filename: 'filename',
  sum: 'sum',
  reboot_suggested: 'rebootSuggested',
  restart_suggested: 'restartSuggested',
  relogin_suggested: 'reloginSuggested'
}

function localName (name: string): string {
  const colon = name.indexOf(':')
  return colon === -1 ? name : name.slice(colon + 1)
}

function attr (tag: SaxesTagPlain, name: string): string | undefined {
  const value = tag.attributes[name]
  return value === undefined ? undefined : value
}

export interface ParserHandlers {
  onUpdate: (update: RawUpdate) => void
  /** Longest text a field (or a CDATA section, comment or text node saxes buffers) may hold. */
  maxTextRun?: number
}

export class UpdateinfoParser {
  private readonly sax: SaxesParser
  private readonly stack: string[] = []
  private update: RawUpdate | null = null
  private collection: RawCollection | null = null
  private pkg: RawPackage | null = null
  private capture: ((text: string) => void) | null = null
  private captureDepth = -1
  private text = ''
  private sawRoot = false
  updates = 0

  constructor (private readonly handlers: ParserHandlers) {
    this.sax = new SaxesParser({ xmlns: false, position: true })
    this.sax.on('error', (err) => {
      throw new UpdateinfoSyntaxError(`invalid XML: ${err.message}`)
    })
    this.sax.on('doctype', (doctype) => {
      if (doctype.includes('[')) throw new UpdateinfoSyntaxError('a DOCTYPE with an internal subset (entity declarations) is not accepted')
    })
    this.sax.on('opentag', (tag) => this.open(tag as SaxesTagPlain))
    this.sax.on('closetag', () => this.close())
    this.sax.on('text', (text) => { if (this.capture !== null) this.append(text) })
    this.sax.on('cdata', (text) => { if (this.capture !== null) this.append(text) })
  }

  private get maxTextRun (): number { return this.handlers.maxTextRun ?? Number.POSITIVE_INFINITY }

  write (chunk: string): void {
    this.sax.write(chunk)
    // saxes keeps a text node, CDATA section or comment whole until it ends: refuse one that grows past
    // the limit now, before memory does (saxes keeps it in its `text` field).
    const pending = (this.sax as unknown as { text?: unknown }).text
    if (typeof pending === 'string' && pending.length > this.maxTextRun) {
      throw new UpdateinfoSyntaxError(`a text node, CDATA section or comment is longer than ${this.maxTextRun} characters (line ${this.sax.line})`)
    }
  }

  /** A field's text, joined across any markup inside it, is bounded as one text run. */
  private append (text: string): void {
    this.text += text
    if (this.text.length > this.maxTextRun) {
      const where = this.update?.id === undefined ? '' : ` of ${this.update.id}`
      throw new UpdateinfoSyntaxError(`the text of <${this.stack[this.captureDepth - 1] ?? 'field'}>${where} is longer than ${this.maxTextRun} characters (line ${this.sax.line})`)
    }
  }

  end (): void {
    this.sax.close()
    if (!this.sawRoot) throw new UpdateinfoSyntaxError('the document has no root element')
  }

  private startCapture (assign: (text: string) => void): void {
    this.capture = assign
    this.captureDepth = this.stack.length
    this.text = ''
  }

  private open (tag: SaxesTagPlain): void {
    const name = localName(tag.name)
    const parent = this.stack[this.stack.length - 1]
    this.stack.push(name)
    if (!this.sawRoot) {
      this.sawRoot = true
      if (name !== 'updates' && name !== 'update') {
        throw new UpdateinfoSyntaxError(`not an updateinfo document: the root element is <${tag.name}>, expected <updates>`)
      }
    }
    if (this.capture !== null) return // markup inside a text field: keep only its text
    if (name === 'update' && (parent === 'updates' || parent === undefined)) {
      this.update = {
        line: this.sax.line,
        type: attr(tag, 'type'),
        status: attr(tag, 'status'),
        version: attr(tag, 'version'),
        from: attr(tag, 'from'),
        author: attr(tag, 'author'),
        references: [],
        collections: []
      }
      return
    }
    const update = this.update
    if (update === null) return
    const depth = this.stack.length
    if (parent === 'update' && depth === this.updateDepth() + 1) {
      const field = updateTextElements[name]
      if (field !== undefined) {
        this.startCapture((text) => { update[field] = text })
      } else if (name === 'issued' || name === 'updated') {
        const date = attr(tag, 'date')
        // SUSE has been seen with the date as text content instead of the attribute.
        if (date !== undefined) update[name] = date
        else this.startCapture((text) => { update[name] = text })
      }
      return
    }
    if (name === 'reference' && parent === 'references' && depth === this.updateDepth() + 2) {
      update.references.push({ type: attr(tag, 'type'), id: attr(tag, 'id'), href: attr(tag, 'href'), title: attr(tag, 'title') })
      return
    }
    if (name === 'collection' && parent === 'pkglist' && depth === this.updateDepth() + 2) {
      this.collection = { short: attr(tag, 'short'), modules: [], packages: [] }
      update.collections.push(this.collection)
      return
    }
    const collection = this.collection
    if (collection !== null && parent === 'collection' && depth === this.updateDepth() + 3) {
      if (name === 'name') {
        this.startCapture((text) => { collection.name = text })
      } else if (name === 'module') {
        collection.modules.push({
          name: attr(tag, 'name'),
          stream: attr(tag, 'stream'),
          version: attr(tag, 'version'),
          context: attr(tag, 'context'),
          arch: attr(tag, 'arch')
        })
      } else if (name === 'package') {
        this.pkg = {
          name: attr(tag, 'name'),
          epoch: attr(tag, 'epoch'),
          version: attr(tag, 'version'),
          release: attr(tag, 'release'),
          arch: attr(tag, 'arch'),
          src: attr(tag, 'src')
        }
        collection.packages.push(this.pkg)
      }
      return
    }
    const pkg = this.pkg
    if (pkg !== null && parent === 'package' && depth === this.updateDepth() + 4) {
      const field = packageTextElements[name]
      if (field === 'sum') pkg.sumType = attr(tag, 'type')
      if (field !== undefined) this.startCapture((text) => { pkg[field] = text })
    }
  }

  // <update> sits at depth 1 (bare <update> root) or 2 (inside <updates>).
  private updateDepth (): number {
    return this.stack[0] === 'update' ? 1 : 2
  }

  private close (): void {
    const depth = this.stack.length
    const name = this.stack.pop()
    if (this.capture !== null && depth === this.captureDepth) {
      this.capture(this.text)
      this.capture = null
      this.text = ''
      return
    }
    if (name === 'package') this.pkg = null
    else if (name === 'collection') this.collection = null
    else if (name === 'update' && this.update !== null && depth === this.updateDepth()) {
      const update = this.update
      this.update = null
      this.updates++
      this.handlers.onUpdate(update)
    }
  }
}
