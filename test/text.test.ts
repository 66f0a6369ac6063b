// Text that reads like ALAS: URLs in descriptions are links (http and https only, everything else escaped,
// rel="nofollow noopener"), reference types have readable labels, /favicon.ico answers with a real icon,
// counts say "1 advisory", and a path under an unknown product says there is no such product.
import t from 'tap'
import { join } from 'node:path'
import { loadJsonConfig } from '../ingest/config.js'
import { runIngest } from '../ingest/run.js'
import { linkedText, referenceLabel } from '../server/format.js'
import { writeConfig, writeLabRepo } from './helpers/lab.js'
import { tempDir } from './helpers/paths.js'
import { testApp } from './helpers/test-app.js'

const link = (url: string): string => `<a href="${url}" rel="nofollow noopener">${url}</a>`

t.test('linkedText: http(s) URLs become links; nothing else does; everything is escaped', async (t) => {
  t.equal(linkedText('See https://example.org/a?b=1&c=2 for details.'), `See ${link('https://example.org/a?b=1&amp;c=2')} for details.`, 'a sentence\'s full stop is not the URL\'s')
  t.equal(linkedText('(see http://example.org/x)'), `(see ${link('http://example.org/x')})`, 'a closing bracket without its opening one is left out')
  t.equal(linkedText('https://en.wikipedia.org/wiki/Foo_(bar), next'), `${link('https://en.wikipedia.org/wiki/Foo_(bar)')}, next`, 'balanced brackets stay')
  t.equal(linkedText('a\nhttps://a.example/1\nhttps://b.example/2'), `a\n${link('https://a.example/1')}\n${link('https://b.example/2')}`, 'one per line')
  t.equal(linkedText('javascript:alert(1) data:text/html,<b>x</b> ftp://h/f mailto:a@b.c file:///etc/passwd'),
    'javascript:alert(1) data:text/html,&lt;b&gt;x&lt;/b&gt; ftp://h/f mailto:a@b.c file:///etc/passwd', 'no other scheme is a link, and all is escaped')
  t.equal(linkedText('xhttps://evil.example/'), 'xhttps://evil.example/', 'a URL inside a word is not one')
  t.equal(linkedText('https://evil.example/"onmouseover="alert(1)'), `${link('https://evil.example/')}&quot;onmouseover=&quot;alert(1)`, 'a quote ends the URL, and is escaped')
  t.equal(linkedText('<https://example.org/x>'), `&lt;${link('https://example.org/x')}&gt;`, 'angle brackets around a URL')
  t.equal(linkedText("it's & <ok>"), 'it&#39;s &amp; &lt;ok&gt;', 'text without URLs is escaped only')
  t.equal(linkedText('https://'), 'https://', 'no host: no link')
})

t.test('reference labels', async (t) => {
  t.equal(referenceLabel('bugzilla'), 'Bugzilla')
  t.equal(referenceLabel('cve'), 'CVE')
  t.equal(referenceLabel('self'), 'Self')
  t.equal(referenceLabel('rhsa'), 'Red Hat advisory')
  t.equal(referenceLabel('redhat'), 'Red Hat advisory')
  t.equal(referenceLabel('erratum', 'https://access.redhat.com/errata/RHBA-2021:2580'), 'Red Hat advisory', 'Rocky\'s errata point at Red Hat\'s')
  t.equal(referenceLabel('erratum', 'https://errata.example.org/1'), 'Erratum')
  t.equal(referenceLabel('brsa'), 'Bottlerocket advisory')
  t.equal(referenceLabel('ghsa'), 'GitHub advisory')
  t.equal(referenceLabel('other'), 'Other')
  t.equal(referenceLabel('vendor'), 'vendor', 'a type no distribution is known to use: as written')
  t.equal(referenceLabel(null), null)
})

t.test('the pages: description links, reference labels, favicon, counts, unknown products', async (t) => {
  const dir = tempDir(t)
  writeLabRepo(dir, 'lab', [{
    id: 'LAB-2024:0001',
    description: 'Details at https://example.org/advisory?id=1&x=2.\n\nNot a link: javascript:alert(1) nor data:text/html,<script>alert(2)</script>.',
    references: [
      { type: 'bugzilla', id: '1234', href: 'https://bugzilla.example.org/1234', title: 'a bug' },
      { type: 'self', id: 'LAB-2024:0001', href: 'https://lab.example.org/LAB-2024:0001.html' },
      { type: 'rhsa', id: 'RHSA-2024:1', href: 'https://access.redhat.com/errata/RHSA-2024:1' },
      { type: 'erratum', id: 'RHBA-2024:2', href: 'https://access.redhat.com/errata/RHBA-2024:2' },
      { type: 'vendor', id: 'V-1', href: 'javascript:alert(3)' }
    ]
  }, { id: 'LAB-2024:0002' }, { id: 'LAB-2024:0003' }])
  writeLabRepo(dir, 'one', [{ id: 'ONE-1' }])
  const config = writeConfig(dir, [{ id: 'lab', name: 'Lab', repos: ['lab'] }, { id: 'one', name: 'One', repos: ['one'] }])
  const dbPath = join(dir, 'db.sqlite')
  await runIngest({ dbPath, repos: loadJsonConfig(config) })
  const app = await testApp(t, { dbPath })

  const page = (await app.inject('/lab/LAB-2024%3A0001')).body
  t.match(page, `<p class="text">Details at ${link('https://example.org/advisory?id=1&amp;x=2')}.</p>`, 'the URL is a link, its full stop is not')
  t.match(page, '<p class="text">Not a link: javascript:alert(1) nor data:text/html,&lt;script&gt;alert(2)&lt;/script&gt;.</p>', 'other schemes stay escaped text')
  t.equal((page.match(/rel="nofollow noopener"/g) ?? []).length, 1, 'exactly one description link')
  t.notMatch(page, '<script>alert')
  const refs = [...page.matchAll(/<span class="ref-type">([^<]*)<\/span>/g)].map((m) => m[1])
  t.strictSame(refs, ['Bugzilla', 'Self', 'Red Hat advisory', 'Red Hat advisory', 'vendor'], 'each reference with its label')
  t.match(page, '<li><span class="ref-type">vendor</span> V-1</li>', 'an unsafe href stays text')

  const icon = await app.inject('/favicon.ico')
  t.equal(icon.statusCode, 200)
  t.equal(icon.headers['content-type'], 'image/x-icon')
  t.equal(icon.headers['cache-control'], 'public, max-age=86400', 'cached for a day, as /static is')
  const ico = icon.rawPayload
  t.strictSame([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)], [0, 1, 3], 'an ICO header: type 1 (icon), three images')
  const sizes = [0, 1, 2].map((i) => ico.readUInt8(6 + 16 * i))
  t.strictSame(sizes, [16, 32, 48])
  for (let i = 0; i < 3; i++) {
    const offset = ico.readUInt32LE(6 + 16 * i + 12)
    t.strictSame([...ico.subarray(offset, offset + 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `image ${i} is a PNG`)
    t.equal(ico.readUInt32BE(offset + 16), sizes[i], `image ${i} is ${sizes[i]!} pixels wide`)
  }
  const again = await app.inject({ url: '/favicon.ico', headers: { 'if-none-match': icon.headers.etag as string } })
  t.equal(again.statusCode, 304, 'its ETag revalidates')
  t.equal((await app.inject({ url: '/favicon.ico', method: 'HEAD' })).statusCode, 200)

  const products = (await app.inject('/products')).body
  t.match(products, '<p>3 advisories.</p>')
  t.match(products, '<p>1 advisory.</p>', 'one advisory, not "1 advisories"')
  t.notMatch(products, /\b1 advisories\b/)

  const noProduct = await app.inject('/nosuch/ALAS-1')
  t.equal(noProduct.statusCode, 404)
  t.match(noProduct.body, '<h1>No such product</h1>')
  t.match(noProduct.body, 'No such product: &quot;nosuch&quot;. The products are lab, one.', 'it names the product and those that exist')
  const known = await app.inject('/lab/NOPE-1')
  t.equal(known.statusCode, 404)
  t.match(known.body, '<h1>Advisory not found</h1>', 'a known product without the advisory says that instead')
  t.match(known.body, 'lab has no advisory &quot;NOPE-1&quot;.')
  const bare = await app.inject('/nosuch')
  t.equal(bare.statusCode, 404)
  t.match(bare.body, '&quot;nosuch&quot;', 'a bare unknown segment is a 404 naming it')
})
