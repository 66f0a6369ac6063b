// A feed's items are read once for its three formats (server/feeds/feed-items.ts): RSS, Atom and JSON Feed list
// the same advisories in the same order with the same item HTML, and a format asked after an ingest shows the
// new data, never the items kept from before it.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import Parser from 'rss-parser'
import { ingestOk, labRepo, testApp, testDb } from './helpers/test-app.js'
import { updateinfoText } from './helpers/updateinfo-generator.js'

interface Item { title: string, content: string }

async function items (app: FastifyInstance, url: string): Promise<Item[]> {
  const response = await app.inject({ method: 'GET', url })
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`)
  if (url.endsWith('.json')) {
    const feed = JSON.parse(response.body) as { items: Array<{ title: string, content_html: string }> }
    return feed.items.map((i) => ({ title: i.title, content: i.content_html }))
  }
  const feed = await new Parser().parseString(response.body)
  return feed.items.map((i) => ({ title: i.title ?? '', content: (i as { content?: string }).content ?? '' }))
}

t.test('the three formats of a feed show the same items, and the data of the moment they are asked', async (t) => {
  const { dbPath } = testDb(t)
  const xml = updateinfoText({ advisories: 30, packagesPerAdvisory: 2, idPrefix: 'FEED' })
  const repo = labRepo(t, { id: 'feedp', name: 'Feed product' })
  await ingestOk(t, dbPath, [repo(xml)])
  const app = await testApp(t, { dbPath, publicUrl: 'https://security.example.org' })

  const rss = await items(app, '/feeds/feedp.rss')
  t.equal(rss.length, 30, 'every advisory is in the feed')
  const titles = rss.map((i) => i.title)
  t.same((await items(app, '/feeds/feedp.atom')).map((i) => i.title), titles, 'Atom lists the same advisories in the same order')
  t.same((await items(app, '/feeds/feedp.json')).map((i) => i.title), titles, 'and JSON Feed')
  t.notOk(rss.some((i) => i.content.includes('Revised for the feed test')), 'no item says it was revised yet')

  // One advisory's description revised and ingested; the RSS was rendered before, the others were not.
  const id = 'FEED-2016-00007'
  const at = xml.indexOf(`<id>${id}</id>`)
  t.ok(at > 0, `${id} is in the repo`)
  await ingestOk(t, dbPath, [repo(xml.slice(0, at) + xml.slice(at).replace('<description>', '<description>Revised for the feed test. '))])
  for (const format of ['atom', 'json', 'rss']) {
    const revised = (await items(app, `/feeds/feedp.${format}`)).filter((i) => i.content.includes('Revised for the feed test'))
    t.same(revised.map((i) => i.title.split(' ')[0]), [id], `${format}: the revised advisory's item shows its new description`)
  }
})

t.test("an advisory's item HTML is made once for every feed it is in, and made again after an ingest", async (t) => {
  const { dbPath } = testDb(t)
  const xml = updateinfoText({ advisories: 12, packagesPerAdvisory: 2, idPrefix: 'ITEM' })
  const repo = labRepo(t, { id: 'itemp', name: 'Item product' })
  await ingestOk(t, dbPath, [repo(xml)])
  const app = await testApp(t, { dbPath, publicUrl: 'https://security.example.org' })
  // Counts the feed items the views render (app.render is the views plugin's, shared by every route).
  const render = app.render
  let made = 0
  app.render = (view, data) => {
    if (view === './partials/feed-item') made++
    return render(view, data)
  }

  const product = await items(app, '/feeds/itemp.rss')
  t.equal(product.length, 12)
  t.equal(made, 12, 'the product feed made each of its 12 items')
  const all = await items(app, '/feeds/advisories.atom')
  t.equal(made, 12, 'the global feed, listing the same advisories, made none again')
  t.same(all.map((i) => i.content), product.map((i) => i.content), 'and shows the same item HTML')
  const severities = new Set(product.map((i) => /\((\w+)\)/.exec(i.title)?.[1]).filter((s) => s !== undefined))
  t.ok(severities.size > 0, 'the items name their severities')
  for (const severity of severities) await items(app, `/feeds/severity/${severity!.toLowerCase()}.json`)
  t.equal(made, 12, 'nor did the severity feeds')

  await ingestOk(t, dbPath, [repo(xml.replace('<description>', '<description>Changed for the item test. '))])
  const after = await items(app, '/feeds/advisories.rss')
  t.equal(made, 24, 'after an ingest every item is made again')
  t.equal(after.filter((i) => i.content.includes('Changed for the item test')).length, 1, 'and the revised one shows its new description')
})
