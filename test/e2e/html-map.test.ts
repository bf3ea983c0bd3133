import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord } from '../../src/domain/feature.js';
import { announceSkip } from '../helpers/environment.js';
import { startFixtureApi, type FixtureApi } from '../helpers/fixture-api.js';
import { feature, pointGrid } from '../helpers/fixtures.js';

const CHROMIUM = process.env['PLACELINK_CHROMIUM'] ?? '/usr/bin/chromium';
const skipped = announceSkip('test/e2e/html-map.test.ts', existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PLACELINK_CHROMIUM)`);

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(2)>';
/** 23 points: pages of 10, 10 and 3; the second one carries markup in a property and in its id. */
const POINTS: FeatureRecord[] = pointGrid(23).map((f, n) =>
  n === 1 ? { ...f, properties: { ...f.properties, kind: SCRIPT } } : n === 2 ? { ...f, id: `P-${IMG}`, localId: `P-${IMG}` } : f,
);
const AREAS: FeatureRecord[] = [
  feature('park', { type: 'Polygon', coordinates: [[[9.70, 52.30], [9.71, 52.30], [9.71, 52.31], [9.70, 52.30]]] }, { name: 'park' }),
  feature('river', { type: 'LineString', coordinates: [[9.69, 52.29], [9.72, 52.32]] }, { name: 'river' }),
];

let api: FixtureApi;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const foreignRequests: string[] = [];

async function mapLoaded(p: Page): Promise<number> {
  await p.waitForSelector('#map[data-loaded], #map[data-error]', { timeout: 15_000 });
  const error = await p.getAttribute('#map', 'data-error');
  expect(error, 'the map script reported an error').toBeNull();
  return Number(await p.getAttribute('#map', 'data-loaded'));
}

const tableIds = (p: Page) => p.locator('main table tbody tr td:first-child').allTextContents();

describe.skipIf(skipped)('HTML pages and the Leaflet map in Chromium', () => {
  beforeAll(async () => {
    api = await startFixtureApi([
      { prefix: 'html-points', definition: { title: `Points ${SCRIPT}`, description: 'Street furniture' }, records: POINTS },
      { prefix: 'html-areas', definition: { title: 'Areas' }, records: AREAS },
    ]);
    userDataDir = await mkdtemp(path.join(os.tmpdir(), 'placelink-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const origin = new URL(api.url).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreignRequests.push(request.url());
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await api?.close();
  });

  it('goes from the landing page through the collections to a collection’s items', async () => {
    await page.goto(api.url);
    expect(await page.locator('h1').textContent()).toBe('placelink');
    await page.getByRole('link', { name: 'Collections', exact: true }).first().click();
    await page.waitForURL(/\/collections\?f=html$/);
    await page.getByRole('link', { name: `Points ${SCRIPT}` }).click();
    await page.waitForURL(new RegExp(`/collections/${api.ids['html-points']}$`));
    expect(await page.locator('h1').textContent()).toBe(`Points ${SCRIPT}`);
    // the collection page draws its extent
    expect(await mapLoaded(page)).toBe(0);
    expect(await page.locator('#map .leaflet-overlay-pane path').count()).toBe(1);
    await page.getByRole('link', { name: 'Browse the features' }).click();
    await page.waitForURL(/\/items\?f=html$/);
  });

  it('the map on the items page loads the page’s features and Leaflet draws them', async () => {
    const loaded = await mapLoaded(page);
    const ids = await tableIds(page);
    expect(ids).toEqual(POINTS.slice(0, 10).map((f) => f.id));
    expect(loaded).toBe(ids.length);
    expect(await page.locator('#map .leaflet-overlay-pane path').count()).toBe(ids.length);
    expect(await page.locator('.pager').textContent()).toContain(`10 feature(s) of ${POINTS.length}`);
  });

  it('pages with Next and Previous, the map following the page', async () => {
    const rows = () => page.locator('main table tbody tr').count();
    const follow = async (rel: 'next' | 'prev') => {
      const before = page.url();
      await page.locator(`a[rel="${rel}"]`).first().click();
      await page.waitForURL((url) => url.href !== before);
    };
    await follow('next');
    expect(page.url()).toMatch(/cursor=/);
    expect(await tableIds(page)).toEqual(POINTS.slice(10, 20).map((f) => f.id));
    expect(await mapLoaded(page)).toBe(10);
    await follow('next');
    await expect.poll(rows).toBe(3);
    expect(await tableIds(page)).toEqual(POINTS.slice(20).map((f) => f.id));
    expect(await mapLoaded(page)).toBe(3);
    expect(await page.locator('a[rel="next"]').count()).toBe(0);
    expect(await page.locator('.pager .disabled').last().textContent()).toContain('Next');
    await follow('prev');
    await expect.poll(rows).toBe(10);
    expect(await tableIds(page)).toEqual(POINTS.slice(10, 20).map((f) => f.id));
    expect(await mapLoaded(page)).toBe(10);
  });

  it('shows markup in properties, ids and titles as text and never runs it', async () => {
    await page.goto(`${api.url}/collections/${api.ids['html-points']}/items?f=html`);
    await mapLoaded(page);
    const cells = await page.locator('main table tbody tr').nth(1).locator('td').allTextContents();
    expect(cells).toContain(SCRIPT);
    expect(await page.locator('main table tbody tr').nth(2).locator('td').first().textContent()).toBe(`P-${IMG}`);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    // the feature page of the id with markup, reached by its link
    await page.locator('main table tbody tr').nth(2).locator('a').click();
    await page.waitForURL(/\/items\/P-/);
    expect(await mapLoaded(page)).toBe(1);
    expect(await page.content()).not.toContain('<img src=x');
    expect(dialogs).toEqual([]);
  });

  it('draws lines and polygons too', async () => {
    await page.goto(`${api.url}/collections/${api.ids['html-areas']}/items?f=html`);
    expect(await mapLoaded(page)).toBe(AREAS.length);
    expect(await page.locator('#map .leaflet-overlay-pane path').count()).toBe(AREAS.length);
  });

  it('loaded everything from the service itself, without script errors or dialogs', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
