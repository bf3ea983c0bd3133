import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startUpstream, type UpstreamServer } from './upstream-server.js';

export const MAPSERV = process.env['PLACELINK_MAPSERV'] ?? '/usr/bin/mapserv';

/** Null when the MapServer CGI binary is there, else why the tests that need it are skipped. */
export function missingMapserv(): string | null {
  return existsSync(MAPSERV) ? null : `no MapServer CGI at ${MAPSERV} (apt-get install cgi-mapserver, or set PLACELINK_MAPSERV)`;
}

export interface MapServerLayer {
  readonly name: string;
  /** MapServer DATA, e.g. `geom from upstream_x.lights using unique id using srid=25832` */
  readonly data: string;
  readonly type: 'POINT' | 'LINE' | 'POLYGON';
  readonly featureId: string;
}

/**
 * A real MapServer (the CGI binary, one process per request) serving tables a test owns, so a
 * test can edit and delete rows "upstream" without touching the shared peers database.
 */
export async function startMapServer(connection: string, layers: readonly MapServerLayer[]): Promise<UpstreamServer & { readonly wfsUrl: string }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'placelink-mapserver-'));
  const mapfile = path.join(directory, 'test.map');
  const config = path.join(directory, 'mapserver.conf');
  let base = '';
  const server = await startUpstream(
    (request, response, url) =>
      new Promise<void>((resolve) => {
        execFile(
          MAPSERV,
          [],
          {
            encoding: 'buffer',
            maxBuffer: 256 * 1024 * 1024,
            env: { MAPSERVER_CONFIG_FILE: config, REQUEST_METHOD: 'GET', QUERY_STRING: url.search.slice(1), SCRIPT_NAME: '/mapserv', SERVER_NAME: '127.0.0.1', PATH: process.env['PATH'] ?? '' },
          },
          (error, stdout) => {
            const text = stdout as Buffer;
            const split = text.indexOf('\r\n\r\n');
            if (error || split < 0) {
              response.writeHead(500, { 'Content-Type': 'text/plain' });
              response.end(`mapserv failed: ${error?.message ?? 'no CGI header'}`);
              return resolve();
            }
            const headers: Record<string, string> = {};
            for (const line of text.subarray(0, split).toString('latin1').split('\r\n')) {
              const colon = line.indexOf(':');
              if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
            }
            const status = Number(/^(\d{3})/.exec(headers['Status'] ?? '')?.[1] ?? 200);
            delete headers['Status'];
            response.writeHead(status, headers);
            response.end(text.subarray(split + 4));
            void request;
            resolve();
          },
        );
      }),
  );
  base = server.url;
  const layerText = layers
    .map(
      (layer) => `  LAYER
    NAME "${layer.name}"
    TYPE ${layer.type}
    STATUS ON
    CONNECTIONTYPE POSTGIS
    CONNECTION "${connection}"
    DATA "${layer.data}"
    PROJECTION
      "init=epsg:25832"
    END
    TEMPLATE "void"
    METADATA
      "ows_title" "${layer.name}"
      "ows_srs" "EPSG:25832 EPSG:4258 EPSG:4326"
      "gml_include_items" "all"
      "gml_types" "auto"
      "gml_featureid" "${layer.featureId}"
      "wfs_use_default_extent_for_getfeature" "false"
    END
  END`,
    )
    .join('\n');
  await writeFile(
    mapfile,
    `MAP
  NAME "test"
  EXTENT 540000 5790000 565000 5820000
  UNITS METERS
  PROJECTION
    "init=epsg:25832"
  END
  OUTPUTFORMAT
    NAME "geojson"
    DRIVER "OGR/GEOJSON"
    MIMETYPE "application/json; subtype=geojson"
    FORMATOPTION "STORAGE=stream"
    FORMATOPTION "FORM=SIMPLE"
  END
  WEB
    METADATA
      "ows_title" "placelink test upstream"
      "ows_enable_request" "*"
      "ows_srs" "EPSG:25832 EPSG:4258 EPSG:4326"
      "ows_onlineresource" "${base}/mapserv?"
      "wfs_getfeature_formatlist" "geojson"
    END
  END
${layerText}
END
`,
  );
  await writeFile(config, `CONFIG\n  ENV\n    MS_MAPFILE "${mapfile}"\n    MS_MAP_NO_PATH "1"\n  END\nEND\n`);
  return {
    ...server,
    wfsUrl: `${base}/mapserv?`,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
