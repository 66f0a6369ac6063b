// Streaming updateinfo.xml parser: text in, one raw <update> record at a time out.
// Elements are matched by local name (SUSE uses a default namespace); unknown elements are skipped
// with their subtree, as createrepo_c does. Only XML's five entities exist: no DTD is processed.
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { defaultUpdateLimits, type UpdateLimits } from './update-limits.js'

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
/** A field, an attribute, a whole <update> or the nesting depth past its limit (UpdateLimits). */
export class UpdateinfoLimitError extends Error { override name = 'UpdateinfoLimitError' }

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
  limits?: Partial<UpdateLimits>
}

// What saxes holds while a construct is incomplete: `text` (a text node, CDATA section, comment or
// attribute value), `name` (a tag or attribute name), `tag` (the tag being opened, with its attributes).
interface SaxesPending { text?: unknown, name?: unknown }

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
  /** Source position where the tag being opened started; null outside a start tag. */
  private tagStart: number | null = null
  private tagLine = 0
  private updateStart = 0
  private elements = 0
  private readonly limits: UpdateLimits
  updates = 0

  constructor (private readonly handlers: ParserHandlers) {
    this.limits = { ...defaultUpdateLimits, ...handlers.limits }
    this.sax = new SaxesParser({ xmlns: false, position: true })
    this.sax.on('error', (err) => {
      throw new UpdateinfoSyntaxError(`invalid XML: ${err.message}`)
    })
    this.sax.on('doctype', (doctype) => {
      if (doctype.includes('[')) throw new UpdateinfoSyntaxError('a DOCTYPE with an internal subset (entity declarations) is not accepted')
    })
    this.sax.on('opentagstart', () => {
      this.tagStart = this.sax.position
      this.tagLine = this.sax.line
    })
    this.sax.on('opentag', (tag) => {
      const start = this.tagStart ?? this.sax.position
      this.tagStart = null
      this.open(tag as SaxesTagPlain, start)
    })
    this.sax.on('closetag', () => this.close())
    this.sax.on('text', (text) => { this.onText(text) })
    this.sax.on('cdata', (text) => { this.onText(text) })
  }

  private get maxTextRun (): number { return this.handlers.maxTextRun ?? Number.POSITIVE_INFINITY }

  write (chunk: string): void {
    this.sax.write(chunk)
    // saxes keeps a text node, CDATA section, comment, attribute value or name whole until it ends:
    // refuse one that grows past its limit now, before memory does.
    const { text: pending, name } = this.sax as unknown as SaxesPending
    if (typeof pending === 'string' && pending.length > this.maxTextRun) {
      throw new UpdateinfoSyntaxError(`a text node, CDATA section or comment is longer than ${this.maxTextRun} characters (line ${this.sax.line})`)
    }
    const { maxField, maxDescription, maxUpdate } = this.limits
    if (typeof name === 'string' && name.length > maxField) {
      this.refuse(`an element or attribute name passes the ${maxField}-character limit`)
    }
    if (this.tagStart !== null) {
      // Inside a start tag, saxes' text is the value of the attribute being read.
      if (typeof pending === 'string' && pending.length > maxField) {
        this.refuse(`the ${typeof name === 'string' ? name.slice(0, 64) : ''} attribute of <${this.openingName()}> passes the ${maxField}-character limit for an attribute`)
      }
      if (this.sax.position - this.tagStart > maxUpdate) {
        this.refuse(`the start tag <${this.openingName()}> at line ${this.tagLine} passes the ${maxUpdate}-character limit for one advisory`)
      }
    } else if (typeof pending === 'string') {
      if (this.capture !== null) this.checkField(this.text.length + pending.length)
      else if (pending.length > maxDescription) this.refuse(`a text node, CDATA section or comment passes the ${maxDescription}-character limit`)
    }
    if (this.update !== null) this.checkUpdateSize()
  }

  private openingName (): string {
    const tag = (this.sax as unknown as { tag?: { name?: unknown } }).tag
    return typeof tag?.name === 'string' ? localName(tag.name).slice(0, 64) : 'element'
  }

  /** Names the advisory (its id once read, and the line of its <update>) and the line. */
  private refuse (what: string): never {
    const update = this.update
    const advisory = update === null
      ? ''
      : update.id === undefined ? `the <update> at line ${update.line} (its id not read yet): ` : `advisory ${update.id.trim().slice(0, 200)} (the <update> at line ${update.line}): `
    throw new UpdateinfoLimitError(`${advisory}${what} (line ${this.sax.line}); the file is refused`)
  }

  private checkField (length: number): void {
    const field = this.stack[this.captureDepth - 1] ?? 'field'
    const limit = field === 'description' ? this.limits.maxDescription : this.limits.maxField
    if (length > limit) this.refuse(`the text of <${field}> passes the ${limit}-character limit for ${field === 'description' ? 'a description' : 'a field'}`)
  }

  private checkUpdateSize (): void {
    if (this.sax.position - this.updateStart > this.limits.maxUpdate) {
      this.refuse(`the whole <update> passes the ${this.limits.maxUpdate}-character limit for one advisory`)
    }
  }

  private onText (text: string): void {
    if (this.capture !== null) this.append(text)
    else if (text.length > this.limits.maxDescription) this.refuse(`a text node, CDATA section or comment passes the ${this.limits.maxDescription}-character limit`)
  }

  /** A field's text, joined across any markup inside it, is bounded as one text run. */
  private append (text: string): void {
    this.text += text
    if (this.text.length > this.maxTextRun) {
      const where = this.update?.id === undefined ? '' : ` of ${this.update.id}`
      throw new UpdateinfoSyntaxError(`the text of <${this.stack[this.captureDepth - 1] ?? 'field'}>${where} is longer than ${this.maxTextRun} characters (line ${this.sax.line})`)
    }
    this.checkField(this.text.length)
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

  private open (tag: SaxesTagPlain, start: number): void {
    const name = localName(tag.name)
    const parent = this.stack[this.stack.length - 1]
    this.stack.push(name)
    this.checkTag(tag, name)
    if (!this.sawRoot) this.checkRoot(tag, name)
    if (this.capture !== null) return // markup inside a text field: keep only its text
    if (name === 'update' && (parent === 'updates' || parent === undefined)) {
      this.startUpdate(tag, start)
      return
    }
    if (this.update !== null) this.openInUpdate(this.update, tag, name, parent)
  }

  /** The bounds every start tag keeps: nesting depth, elements per <update>, name and attribute lengths. */
  private checkTag (tag: SaxesTagPlain, name: string): void {
    if (this.stack.length > this.limits.maxDepth) {
      this.refuse(`elements nest deeper than ${this.limits.maxDepth} levels (<${name.slice(0, 64)}>), the depth limit libxml2 also applies`)
    }
    if (this.update !== null && ++this.elements > this.limits.maxElements) {
      this.refuse(`the <update> holds more than ${this.limits.maxElements} elements, the limit for one advisory`)
    }
    const { maxField } = this.limits
    if (tag.name.length > maxField) this.refuse(`an element name passes the ${maxField}-character limit`)
    for (const [attribute, value] of Object.entries(tag.attributes)) {
      if (attribute.length > maxField) this.refuse(`an attribute name of <${name.slice(0, 64)}> passes the ${maxField}-character limit`)
      if (value.length > maxField) this.refuse(`the ${attribute} attribute of <${name}> passes the ${maxField}-character limit for an attribute`)
    }
  }

  private checkRoot (tag: SaxesTagPlain, name: string): void {
    this.sawRoot = true
    if (name !== 'updates' && name !== 'update') {
      throw new UpdateinfoSyntaxError(`not an updateinfo document: the root element is <${tag.name}>, expected <updates>`)
    }
  }

  private startUpdate (tag: SaxesTagPlain, start: number): void {
    this.updateStart = start
    this.elements = 0
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
  }

  /** An element inside an <update>, by where it sits; anything elsewhere is skipped with its subtree. */
  private openInUpdate (update: RawUpdate, tag: SaxesTagPlain, name: string, parent: string | undefined): void {
    const level = this.stack.length - this.updateDepth()
    if (parent === 'update' && level === 1) {
      this.openUpdateField(update, tag, name)
    } else if (name === 'reference' && parent === 'references' && level === 2) {
      update.references.push({ type: attr(tag, 'type'), id: attr(tag, 'id'), href: attr(tag, 'href'), title: attr(tag, 'title') })
    } else if (name === 'collection' && parent === 'pkglist' && level === 2) {
      this.collection = { short: attr(tag, 'short'), modules: [], packages: [] }
      update.collections.push(this.collection)
    } else if (this.collection !== null && parent === 'collection' && level === 3) {
      this.openInCollection(this.collection, tag, name)
    } else if (this.pkg !== null && parent === 'package' && level === 4) {
      const pkg = this.pkg
      const field = packageTextElements[name]
      if (field === 'sum') pkg.sumType = attr(tag, 'type')
      if (field !== undefined) this.startCapture((text) => { pkg[field] = text })
    }
  }

  private openUpdateField (update: RawUpdate, tag: SaxesTagPlain, name: string): void {
    const field = updateTextElements[name]
    if (field !== undefined) {
      this.startCapture((text) => { update[field] = text })
    } else if (name === 'issued' || name === 'updated') {
      const date = attr(tag, 'date')
      // SUSE has been seen with the date as text content instead of the attribute.
      if (date !== undefined) update[name] = date
      else this.startCapture((text) => { update[name] = text })
    }
  }

  private openInCollection (collection: RawCollection, tag: SaxesTagPlain, name: string): void {
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
      this.checkUpdateSize()
      const update = this.update
      this.update = null
      this.updates++
      this.handlers.onUpdate(update)
    }
  }
}
