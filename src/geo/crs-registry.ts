import { UnsupportedCrsError } from '../domain/errors.js';
import { CRS_TABLE, type CrsDefinition } from './crs-table.js';

/**
 * A CRS as named by some identifier. The same EPSG code can arrive in forms that imply different
 * axis orders (`urn:ogc:def:crs:EPSG::4326` is lat/lon, `EPSG:4326` is lon/lat by GIS convention),
 * so axis order belongs to the reference, decided here from the identifier form.
 */
export interface CrsRef {
  readonly srid: number;
  /** Canonical http URI (OGC API form) of the CRS. */
  readonly uri: string;
  /** Coordinates in this reference are (y, x) relative to PostGIS/proj4's (x=east, y=north). */
  readonly swapAxes: boolean;
  readonly definition: CrsDefinition;
}

export const CRS84_URI = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const CRS84H_URI = 'http://www.opengis.net/def/crs/OGC/0/CRS84h';
const EPSG_URI_PREFIX = 'http://www.opengis.net/def/crs/EPSG/0/';

const BY_SRID = new Map(CRS_TABLE.map((d) => [d.srid, d]));

export function epsgUri(srid: number): string {
  return `${EPSG_URI_PREFIX}${srid}`;
}

export function crsDefinition(srid: number): CrsDefinition {
  const definition = BY_SRID.get(srid);
  if (!definition) throw new UnsupportedCrsError(`EPSG:${srid}`, undefined, `EPSG:${srid} is not in placelink's CRS registry`);
  return definition;
}

export function isKnownSrid(srid: number): boolean {
  return BY_SRID.has(srid);
}

export const CRS84: CrsRef = { srid: 4326, uri: CRS84_URI, swapAxes: false, definition: crsDefinition(4326) };
export const CRS84H: CrsRef = { srid: 4979, uri: CRS84H_URI, swapAxes: false, definition: crsDefinition(4979) };

/** The authority's own axis order, identified by its canonical URI. */
export function epsgCrs(srid: number): CrsRef {
  const definition = crsDefinition(srid);
  return { srid, uri: epsgUri(srid), swapAxes: definition.northFirst, definition };
}

/** How an identifier form tells the axis order. */
type AxisConvention = 'authority' | 'xy';

interface ParsedIdentifier {
  readonly code: string;
  readonly authority: 'EPSG' | 'OGC';
  readonly convention: AxisConvention;
}

// Identifier forms, each with the axis convention it implies:
//   http(s)://www.opengis.net/def/crs/EPSG/<version>/<code>   authority (OGC API, GML 3.2)
//   urn:ogc:def:crs:EPSG:<version?>:<code>                     authority (WFS 1.1/2.0)
//   [EPSG:<code>]                                              authority (safe CURIE)
//   EPSG:<code>                                                x/y (WFS 1.0, GML 2, most GIS software)
//   http://www.opengis.net/gml/srs/epsg.xml#<code>             x/y (GML 2 / WFS 1.0)
//   …/OGC/<version>/CRS84, urn:ogc:def:crs:OGC:<v>:CRS84       x/y by definition
//   urn:adv:crs:ETRS89_UTM32[*DE_DHHN92_NH] and other AdV names  x/y (see ADV_CRS)
const FORMS: ReadonlyArray<{ pattern: RegExp; convention: AxisConvention }> = [
  { pattern: /^https?:\/\/www\.opengis\.net\/def\/crs\/(EPSG|OGC)\/[^/]+\/([A-Za-z0-9]+)$/i, convention: 'authority' },
  { pattern: /^urn:(?:x-)?ogc:def:crs:(EPSG|OGC):(?:[^:]*:)?([A-Za-z0-9]+)$/i, convention: 'authority' },
  { pattern: /^\[(EPSG|OGC):([A-Za-z0-9]+)\]$/i, convention: 'authority' },
  { pattern: /^(EPSG):(\d+)$/i, convention: 'xy' },
  { pattern: /^https?:\/\/www\.opengis\.net\/gml\/srs\/(epsg)\.xml#(\d+)$/i, convention: 'xy' },
];

// CRS names of the German surveying authorities (AdV), found in CityGML and ALKIS/NAS data;
// they are easting/northing (x/y). Heights after `*` keep the horizontal CRS (Z passes through).
const ADV_CRS: Readonly<Record<string, number>> = {
  ETRS89_UTM32: 25832,
  ETRS89_UTM33: 25833,
  ETRS89_UTM31: 25831,
  DE_DHDN_3GK2: 31466,
  DE_DHDN_3GK3: 31467,
  DE_DHDN_3GK4: 31468,
  DE_DHDN_3GK5: 31469,
};

function parseIdentifier(identifier: string): ParsedIdentifier | null {
  const text = identifier.trim();
  const adv = /^urn:adv:crs:([A-Za-z0-9_]+)(?:\*[A-Za-z0-9_]+)?$/.exec(text);
  if (adv && ADV_CRS[adv[1]!] !== undefined) return { authority: 'EPSG', code: String(ADV_CRS[adv[1]!]), convention: 'xy' };
  for (const { pattern, convention } of FORMS) {
    const match = pattern.exec(text);
    if (match) {
      const authority = match[1]!.toUpperCase() === 'OGC' ? 'OGC' : 'EPSG';
      return { authority, code: match[2]!, convention };
    }
  }
  return null;
}

/**
 * Resolves any supported CRS identifier to a reference with its axis order.
 * `parameter` names the request parameter or mapping field for the error message.
 */
export function resolveCrs(identifier: string, parameter?: string): CrsRef {
  const parsed = parseIdentifier(identifier);
  if (!parsed) {
    throw new UnsupportedCrsError(identifier, parameter, `'${identifier}' is not a CRS identifier placelink understands (use e.g. ${epsgUri(25832)} or ${CRS84_URI})`);
  }
  if (parsed.authority === 'OGC') {
    const code = parsed.code.toUpperCase();
    if (code === 'CRS84') return CRS84;
    if (code === 'CRS84H') return CRS84H;
    throw new UnsupportedCrsError(identifier, parameter, `OGC CRS '${parsed.code}' is not supported (CRS84 and CRS84h are)`);
  }
  const srid = Number(parsed.code);
  const definition = Number.isInteger(srid) ? BY_SRID.get(srid) : undefined;
  if (!definition) throw new UnsupportedCrsError(identifier, parameter, `EPSG:${parsed.code} (from '${identifier}') is not in placelink's CRS registry`);
  const swapAxes = parsed.convention === 'authority' && definition.northFirst;
  return { srid, uri: epsgUri(srid), swapAxes, definition };
}

/**
 * Resolves the identifier only if it is in the canonical http URI form the OGC API uses, so a
 * response's Content-Crs never misstates the axis order a short form would have implied.
 */
export function resolveApiCrs(identifier: string, parameter: string): CrsRef {
  const ref = resolveCrs(identifier, parameter);
  if (!/^https?:|^urn:|^\[/i.test(identifier.trim())) {
    throw new UnsupportedCrsError(identifier, parameter, `'${identifier}' is a short CRS form with ambiguous axis order; use the URI ${ref.srid === 4326 && !ref.swapAxes ? CRS84_URI : ref.uri}`);
  }
  return ref;
}

/** The CRS's area of use as [west, south, east, north] in degrees, or null when the registry has none. */
export function areaOfUse(srid: number): readonly [number, number, number, number] | null {
  return crsDefinition(srid).areaOfUse;
}
