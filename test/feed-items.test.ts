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
