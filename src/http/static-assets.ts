import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Middleware } from 'koa';
import { MAP_SCRIPT, STYLESHEET } from '../ogcapi/html/assets.js';

const require = createRequire(import.meta.url);
const LEAFLET_DIST = path.dirname(require.resolve('leaflet'));

interface Asset {
  readonly type: string;
  load(): Promise<Buffer>;
}

const fromText = (text: string) => async () => Buffer.from(text);
const fromLeaflet = (file: string) => () => readFile(path.join(LEAFLET_DIST, file));

/** The only files served under /static: our stylesheet and map script, and Leaflet from its package. */
const ASSETS: Record<string, Asset> = {
  'placelink.css': { type: 'text/css; charset=utf-8', load: fromText(STYLESHEET) },
  'map.js': { type: 'application/javascript; charset=utf-8', load: fromText(MAP_SCRIPT) },
  'leaflet/leaflet.js': { type: 'application/javascript; charset=utf-8', load: fromLeaflet('leaflet.js') },
  'leaflet/leaflet.css': { type: 'text/css; charset=utf-8', load: fromLeaflet('leaflet.css') },
  ...Object.fromEntries(
    ['layers.png', 'layers-2x.png', 'marker-icon.png', 'marker-icon-2x.png', 'marker-shadow.png'].map((name) => [
      `leaflet/images/${name}`,
      { type: 'image/png', load: fromLeaflet(`images/${name}`) },
    ]),
  ),
};

export function staticAssets(): Middleware {
  const cache = new Map<string, Buffer>();
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/static/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const name = ctx.path.slice('/static/'.length);
    const asset = ASSETS[name];
    if (!asset) return next();
    let body = cache.get(name);
    if (!body) {
      body = await asset.load();
      cache.set(name, body);
    }
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = body;
  };
}
