import type { Geometry, Position } from 'geojson';
import { PlacelinkError, UnsupportedCrsError } from '../domain/errors.js';
import type { AxisOrderOverride } from '../domain/mapping.js';
import { resolveCrs, type CrsRef } from './crs-registry.js';
import { arcByBulge, arcByCenterPoint, arcThroughPoints, bezier, bSpline, circleThroughPoints, cubicSpline, geodesicString, type CurveSpace, type Knot } from './densify.js';
import { positionTransform, type PositionTransform } from './reproject.js';

/** Marks a position that fits its CRS only with the axes the other way round (the harvest looks for it). */
export const SWAPPED_AXES_HINT = 'the axes look swapped';

/** A GML element kept in memory while its geometry is built (geometries are small next to documents). */
export interface GmlNode {
  /** Local name (Point, posList, exterior …). */
  readonly name: string;
  readonly gml: boolean;
  /** Attributes by local name; xlink:href is `href`, gml:id is `id`. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: GmlNode[];
  /** Text content (positions), joined once when the element closes. */
  text: string;
  readonly line: number;
}

/** A geometry that cannot be read, with the reason and the line of the element at fault. */
export class GmlGeometryError extends PlacelinkError {
  readonly code = 'gml-geometry';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
  }
}

/** Curve segments (gml:segments children); a property may also hold one directly. */
const CURVE_SEGMENTS = [
  'LineStringSegment', 'Arc', 'ArcString', 'Circle', 'ArcByBulge', 'ArcStringByBulge', 'ArcByCenterPoint', 'CircleByCenterPoint',
  'Geodesic', 'GeodesicString', 'Bezier', 'BSpline', 'CubicSpline', 'OffsetCurve', 'Clothoid',
];

export const GML_GEOMETRY_ELEMENTS = new Set([
  'Point', 'LineString', 'LinearRing', 'Ring', 'Polygon', 'Curve', 'OrientableCurve', 'CompositeCurve', 'MultiPoint', 'MultiLineString', 'MultiCurve',
  'Surface', 'PolygonPatch', 'Triangle', 'Rectangle', 'OrientableSurface', 'CompositeSurface', 'MultiSurface', 'MultiPolygon', 'PolyhedralSurface',
  'TriangulatedSurface', 'Tin', 'Solid', 'CompositeSolid', 'MultiSolid', 'MultiGeometry', 'GeometricComplex', 'Envelope', 'Box', 'Cone', 'Cylinder', 'Sphere',
  ...CURVE_SEGMENTS,
]);

export interface GmlGeometryOptions {
  /** srsName inherited from enclosing elements (property, feature). */
  readonly srsName: string | null;
  /** CRS for geometries that name none (the request's srsName or the mapping's source.crs). */
  readonly defaultCrs: string | null;
  /** Use `defaultCrs` even where the document names another CRS (providers whose srsName contradicts the numbers). */
  readonly ignoreSrsName: boolean;
  readonly axisOrder: AxisOrderOverride;
  /** Metres. */
  readonly densifyTolerance: number;
  /** Elements with a gml:id in the same feature, for `xlink:href="#id"` members. */
  readonly byId: (id: string) => GmlNode | undefined;
}

const UOM_METRES: Readonly<Record<string, number>> = {
  m: 1, metre: 1, meter: 1, km: 1000, NM: 1852, nmi: 1852, '[nmi_i]': 1852, ft: 0.3048, '[ft_i]': 0.3048, mi: 1609.344, '[mi_i]': 1609.344,
  'urn:ogc:def:uom:EPSG::9001': 1, 'urn:ogc:def:uom:EPSG::9036': 1000, 'urn:ogc:def:uom:EPSG::9030': 1852, 'urn:ogc:def:uom:EPSG::9002': 0.3048,
  'http://www.opengis.net/def/uom/EPSG/0/9001': 1, 'http://www.opengis.net/def/uom/EPSG/0/9036': 1000, 'http://www.opengis.net/def/uom/EPSG/0/9030': 1852,
};

const ANGLE_DEGREES: Readonly<Record<string, number>> = { deg: 1, degree: 1, rad: 180 / Math.PI, 'urn:ogc:def:uom:EPSG::9102': 1, 'http://www.opengis.net/def/uom/EPSG/0/9102': 1 };

/** The CRS positions are read in, with the transform of its x/y (east, north) positions to lon/lat. */
interface Frame {
  readonly srsName: string | null;
  readonly srsDimension: number | null;
  readonly crs: CrsRef;
  readonly toLonLat: PositionTransform;
  readonly space: CurveSpace;
}

const child = (node: GmlNode, name: string) => node.children.find((c) => c.name === name);
const childrenNamed = (node: GmlNode, name: string) => node.children.filter((c) => c.name === name);

/**
 * Builds GeoJSON (EPSG:4326, longitude/latitude, Z kept) from a GML 2/3.1/3.2 geometry element.
 * Axis order comes from the srsName form (or the mapping's override), curves are densified
 * within the tolerance, and positions are checked against the CRS's range and area of use.
 */
export function gmlToGeoJson(node: GmlNode, options: GmlGeometryOptions): Geometry {
  // srsName on gml:pos rather than the geometry is valid GML: let it name the geometry's CRS.
  const inner = options.srsName || node.attributes['srsName'] ? undefined : firstSrsName(node);
  return new GeometryBuilder(inner ? { ...options, srsName: inner } : options).geometry(node, null);
}

function firstSrsName(node: GmlNode): string | undefined {
  for (const item of node.children) {
    const found = item.attributes['srsName'] ?? firstSrsName(item);
    if (found) return found;
  }
  return undefined;
}

class GeometryBuilder {
  private readonly frames = new Map<string, Frame>();
  /**
   * Arcs computed from a centre, radius and angles whose ends are known only approximately (the
   * producer may have rounded or used another ellipsoid): the gap to a neighbour's exact corner they may close.
   */
  private readonly approximateEnds = new WeakMap<Position[], number>();

  constructor(private readonly options: GmlGeometryOptions) {}

  geometry(node: GmlNode, parent: Frame | null): Geometry {
    const frame = this.frame(node, parent);
    switch (node.name) {
      case 'Point':
        return { type: 'Point', coordinates: this.finish(this.points(node, frame, 1), frame, node)[0]! };
      case 'LineString':
      case 'Curve':
      case 'CompositeCurve':
      case 'OrientableCurve':
      case 'LineStringSegment':
      case 'Arc':
      case 'ArcString':
      case 'Circle':
      case 'ArcByBulge':
      case 'ArcStringByBulge':
      case 'ArcByCenterPoint':
      case 'CircleByCenterPoint':
      case 'Geodesic':
      case 'GeodesicString':
      case 'Bezier':
      case 'BSpline':
      case 'CubicSpline':
        return { type: 'LineString', coordinates: this.curve(node, frame) };
      case 'LinearRing':
      case 'Ring':
        return { type: 'Polygon', coordinates: [this.ring(node, frame)] };
      case 'Polygon':
      case 'PolygonPatch':
      case 'Triangle':
      case 'Rectangle':
        return { type: 'Polygon', coordinates: this.polygon(node, frame) };
      case 'Surface':
      case 'OrientableSurface':
      case 'CompositeSurface':
      case 'MultiSurface':
      case 'MultiPolygon':
      case 'PolyhedralSurface':
      case 'TriangulatedSurface':
      case 'Tin':
      case 'Solid':
      case 'CompositeSolid':
      case 'MultiSolid': {
        const polygons = this.surfaces(node, frame);
        if (polygons.length === 0) throw new GmlGeometryError(`gml:${node.name} has no surfaces`, node.line);
        return polygons.length === 1 && !['MultiSurface', 'MultiPolygon', 'Solid', 'CompositeSolid', 'MultiSolid'].includes(node.name)
          ? { type: 'Polygon', coordinates: polygons[0]! }
          : { type: 'MultiPolygon', coordinates: polygons };
      }
      case 'MultiPoint': {
        const points = this.members(node, ['pointMember', 'pointMembers']).map((p) => this.geometry(p, frame));
        return { type: 'MultiPoint', coordinates: points.map((p) => (p as { coordinates: Position }).coordinates) };
      }
      case 'MultiLineString':
      case 'MultiCurve': {
        const lines = this.members(node, ['lineStringMember', 'curveMember', 'curveMembers']).map((m) => this.curve(m, this.frame(m, frame)));
        return { type: 'MultiLineString', coordinates: lines };
      }
      case 'MultiGeometry':
        return { type: 'GeometryCollection', geometries: this.members(node, ['geometryMember', 'geometryMembers']).map((m) => this.geometry(m, frame)) };
      case 'Envelope':
      case 'Box': {
        const [lower, upper] = this.envelopeCorners(node, frame);
        const ring = [lower, [upper[0]!, lower[1]!], upper, [lower[0]!, upper[1]!], lower];
        return { type: 'Polygon', coordinates: [this.finish(ring, frame, node)] };
      }
      default:
        throw new GmlGeometryError(`gml:${node.name} is not a supported geometry`, node.line);
    }
  }

  // ------------------------------------------------------------ CRS and positions

  private frame(node: GmlNode, parent: Frame | null): Frame {
    const own = this.options.ignoreSrsName ? undefined : node.attributes['srsName'];
    const srsName = own ?? parent?.srsName ?? (this.options.ignoreSrsName ? null : this.options.srsName) ?? this.options.defaultCrs;
    const dimension = node.attributes['srsDimension'] ? Number(node.attributes['srsDimension']) : (parent?.srsDimension ?? null);
    if (parent && srsName === parent.srsName && dimension === parent.srsDimension) return parent;
    if (!srsName) throw new GmlGeometryError(`gml:${node.name} has no srsName and the mapping gives no source.crs`, node.line);
    const key = `${srsName}|${dimension}`;
    let frame = this.frames.get(key);
    if (!frame) {
      let crs: CrsRef;
      try {
        crs = resolveCrs(srsName, 'srsName');
      } catch (error) {
        if (error instanceof UnsupportedCrsError) throw new GmlGeometryError(`${error.message}`, node.line);
        throw error;
      }
      if (this.options.axisOrder !== 'auto') crs = { ...crs, swapAxes: this.options.axisOrder === 'yx' };
      const metresPerUnit = /\+units=us-ft/.test(crs.definition.proj4) ? 1200 / 3937 : /\+units=ft/.test(crs.definition.proj4) ? 0.3048 : 1;
      frame = {
        srsName,
        srsDimension: dimension,
        crs,
        toLonLat: positionTransform({ ...crs, swapAxes: false }, 4326),
        space: { geographic: crs.definition.geographic, metresPerUnit, tolerance: this.options.densifyTolerance },
      };
      this.frames.set(key, frame);
    }
    return frame;
  }

  private numbers(text: string, node: GmlNode): number[] {
    const tokens = text.trim().split(/\s+/).filter(Boolean);
    return tokens.map((token) => {
      const value = Number(token);
      if (!Number.isFinite(value)) throw new GmlGeometryError(`'${token.slice(0, 40)}' in gml:${node.name} is not a number`, node.line);
      return value;
    });
  }

  private dimensionOf(node: GmlNode, frame: Frame): number {
    const own = node.attributes['srsDimension'];
    if (own) return Number(own);
    return frame.srsDimension ?? frame.crs.definition.dimensions;
  }

  /** Positions of pos / posList / coordinates / pointProperty children, in x/y (east, north) order. */
  private points(node: GmlNode, frame: Frame, minimum: number): Position[] {
    const out: Position[] = [];
    for (const item of node.children) {
      const itemSrs = item.attributes['srsName'];
      if (itemSrs && !this.options.ignoreSrsName && itemSrs !== frame.srsName) {
        throw new GmlGeometryError(`gml:${item.name} is in ${itemSrs}, its gml:${node.name} in ${frame.srsName}`, item.line);
      }
      if (item.name === 'pos') {
        // Some producers write gml:pos as "x,y" (gml:coordinates style); one position is unambiguous.
        const text = /^\s*[-+\d.eE]+,[-+\d.eE]+(,[-+\d.eE]+)?\s*$/.test(item.text) ? item.text.replaceAll(',', ' ') : item.text;
        const values = this.numbers(text, item);
        if (values.length < 2 || values.length > 3) throw new GmlGeometryError(`gml:pos has ${values.length} numbers`, item.line);
        out.push(this.axisOrdered(values, frame));
      } else if (item.name === 'posList') {
        const values = this.numbers(item.text, item);
        const dimension = this.dimensionOf(item, frame);
        if (dimension !== 2 && dimension !== 3) throw new GmlGeometryError(`srsDimension ${dimension} is not supported`, item.line);
        if (values.length % dimension !== 0) throw new GmlGeometryError(`gml:posList has ${values.length} numbers, not a multiple of srsDimension ${dimension}`, item.line);
        const count = item.attributes['count'];
        if (count && Number(count) * dimension !== values.length) throw new GmlGeometryError(`gml:posList count="${count}" but it holds ${values.length / dimension} positions`, item.line);
        for (let i = 0; i < values.length; i += dimension) out.push(this.axisOrdered(values.slice(i, i + dimension), frame));
      } else if (item.name === 'coordinates') {
        out.push(...this.coordinates(item, frame));
      } else if (item.name === 'coord') {
        const read = (name: string) => child(item, name)?.text.trim();
        const values = [read('X'), read('Y'), read('Z')].filter((v): v is string => v !== undefined).map(Number);
        out.push(this.axisOrdered(values, frame));
      } else if (item.name === 'pointProperty' || item.name === 'pointRep') {
        const point = this.resolve(item) ?? item.children[0];
        if (point) out.push(...this.points(point, this.frame(point, frame), 1));
      } else if (item.name === 'Point') {
        out.push(...this.points(item, this.frame(item, frame), 1));
      }
    }
    if (out.length < minimum) throw new GmlGeometryError(`gml:${node.name} has ${out.length} position${out.length === 1 ? '' : 's'}, needs at least ${minimum}`, node.line);
    return out;
  }

  private coordinates(node: GmlNode, frame: Frame): Position[] {
    const cs = node.attributes['cs'] ?? ',';
    const ts = node.attributes['ts'] ?? ' ';
    const decimal = node.attributes['decimal'] ?? '.';
    const tuples = node.text.trim().split(ts === ' ' ? /\s+/ : ts).filter(Boolean);
    return tuples.map((tuple) => {
      const values = tuple.split(cs).map((part) => {
        const value = Number(decimal === '.' ? part : part.replaceAll(decimal, '.'));
        if (!Number.isFinite(value)) throw new GmlGeometryError(`'${tuple}' in gml:coordinates is not a coordinate tuple`, node.line);
        return value;
      });
      if (values.length < 2 || values.length > 3) throw new GmlGeometryError(`'${tuple}' in gml:coordinates has ${values.length} values`, node.line);
      return this.axisOrdered(values, frame);
    });
  }

  private axisOrdered(values: number[], frame: Frame): Position {
    const [a, b, z] = values as [number, number, number | undefined];
    const xy: Position = frame.crs.swapAxes ? [b, a] : [a, b];
    return z === undefined ? xy : [...xy, z];
  }

  private envelopeCorners(node: GmlNode, frame: Frame): [Position, Position] {
    const lower = child(node, 'lowerCorner');
    const upper = child(node, 'upperCorner');
    if (lower && upper) return [this.axisOrdered(this.numbers(lower.text, lower), frame), this.axisOrdered(this.numbers(upper.text, upper), frame)];
    const corners = this.points(node, frame, 2);
    return [corners[0]!, corners[1]!];
  }

  /** Checks positions against the CRS and takes them to lon/lat. */
  private finish(points: Position[], frame: Frame, node: GmlNode): Position[] {
    const { crs } = frame;
    const area = crs.definition.areaOfUse;
    const margin = 0.05;
    return points.map((p) => {
      if (crs.definition.geographic && (Math.abs(p[1]!) > 90 || Math.abs(p[0]!) > 180)) {
        const order = crs.swapAxes ? 'latitude/longitude' : 'longitude/latitude';
        throw new GmlGeometryError(
          `position ${this.shown(p, frame)} is not a valid ${order} position of ${frame.srsName}` +
            (Math.abs(p[0]!) <= 90 && Math.abs(p[1]!) <= 180 ? `; ${SWAPPED_AXES_HINT} (set source.axisOrder to ${crs.swapAxes ? 'xy' : 'yx'})` : '; the srsName may not match the coordinates (see source.crs and source.ignoreSrsName)'),
          node.line,
        );
      }
      const lonLat = frame.toLonLat(p);
      const [lon, lat] = lonLat as [number, number];
      if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lat) > 90) {
        throw new GmlGeometryError(`position ${this.shown(p, frame)} cannot be projected from ${frame.srsName} (EPSG:${crs.srid}); the srsName may not match the coordinates`, node.line);
      }
      if (area) {
        const [west, south, east, north] = area;
        const inside = ([x, y]: Position) => (west <= east ? x! >= west - margin && x! <= east + margin : x! >= west - margin || x! <= east + margin) && y! >= south - margin && y! <= north + margin;
        if (!inside(lonLat)) {
          const swapped = frame.toLonLat([p[1]!, p[0]!]);
          const hint = Number.isFinite(swapped[0]) && Number.isFinite(swapped[1]) && inside(swapped) ? `; ${SWAPPED_AXES_HINT} (set source.axisOrder to ${crs.swapAxes ? 'xy' : 'yx'})` : '';
          throw new GmlGeometryError(
            `position ${this.shown(p, frame)} (lon/lat ${lon.toFixed(5)} ${lat.toFixed(5)}) lies outside the area of use of EPSG:${crs.srid} ${crs.definition.name} [${area.join(', ')}]${hint}`,
            node.line,
          );
        }
      }
      return lonLat;
    });
  }

  private shown(p: Position, frame: Frame): string {
    const written = frame.crs.swapAxes ? [p[1], p[0], ...p.slice(2)] : p;
    return `(${written.join(' ')})`;
  }

  private resolve(node: GmlNode): GmlNode | undefined {
    const href = node.attributes['href'];
    if (!href) return undefined;
    if (!href.startsWith('#')) throw new GmlGeometryError(`gml:${node.name} refers to ${href}, outside this document`, node.line);
    const target = this.options.byId(href.slice(1));
    if (!target) throw new GmlGeometryError(`gml:${node.name} refers to ${href}, which is not in this feature`, node.line);
    return target;
  }

  private members(node: GmlNode, names: readonly string[]): GmlNode[] {
    const out: GmlNode[] = [];
    for (const member of node.children) {
      if (!names.includes(member.name)) continue;
      const resolved = this.resolve(member);
      if (resolved) out.push(resolved);
      else out.push(...member.children.filter((c) => c.gml));
    }
    return out;
  }

  // ------------------------------------------------------------ curves

  private static equal(a: Position, b: Position): boolean {
    const scale = Math.max(1, Math.abs(a[0]!), Math.abs(a[1]!));
    return Math.abs(a[0]! - b[0]!) <= 1e-9 * scale && Math.abs(a[1]! - b[1]!) <= 1e-9 * scale;
  }

  /** Joins curve pieces, which must connect end to start (arcs by centre point snap to their neighbours' corners). */
  private join(parts: Position[][], node: GmlNode, what: string): Position[] {
    const out: Position[] = [];
    let previousSlack = 0;
    parts.forEach((part, index) => {
      if (part.length === 0) return;
      const slack = this.approximateEnds.get(part) ?? 0;
      if (out.length) {
        const end = out[out.length - 1]!;
        const gap = Math.hypot(end[0]! - part[0]![0]!, end[1]! - part[0]![1]!);
        if (!GeometryBuilder.equal(end, part[0]!) && gap <= Math.max(slack, previousSlack)) {
          if (slack >= previousSlack) part = [end, ...part.slice(1)];
          else out[out.length - 1] = part[0]!;
        }
        if (!GeometryBuilder.equal(out[out.length - 1]!, part[0]!)) {
          throw new GmlGeometryError(`gml:${node.name} is not connected: ${what} ${index + 1} starts at (${part[0]!.join(' ')}), the previous one ends at (${end.join(' ')})`, node.line);
        }
        out.push(...part.slice(1));
      } else {
        out.push(...part);
      }
      previousSlack = slack;
    });
    return out;
  }

  /** A curve's positions in lon/lat. */
  private curve(node: GmlNode, frame: Frame): Position[] {
    const points = this.curvePoints(node, frame);
    if (points.length < 2) throw new GmlGeometryError(`gml:${node.name} has fewer than 2 positions`, node.line);
    return this.finish(points, frame, node);
  }

  /** A curve's positions in the frame's x/y, arcs densified. */
  private curvePoints(node: GmlNode, frame: Frame): Position[] {
    switch (node.name) {
      case 'LineString':
      case 'LineStringSegment':
      case 'LinearRing':
        return this.points(node, frame, 2);
      case 'GeodesicString':
      case 'Geodesic':
        return geodesicString(this.points(node, frame, 2), frame.space);
      case 'Arc':
      case 'ArcString': {
        const points = this.points(node, frame, 3);
        if (points.length % 2 === 0) throw new GmlGeometryError(`gml:${node.name} needs an odd number of positions (got ${points.length})`, node.line);
        const arcs: Position[][] = [];
        for (let i = 0; i + 2 < points.length; i += 2) arcs.push(arcThroughPoints(points[i]!, points[i + 1]!, points[i + 2]!, frame.space));
        return this.join(arcs, node, 'arc');
      }
      case 'Circle': {
        const [a, b, c] = this.points(node, frame, 3) as [Position, Position, Position];
        const circle = circleThroughPoints(a, b, c, frame.space);
        if (!circle) throw new GmlGeometryError('gml:Circle positions are on one line', node.line);
        return circle;
      }
      case 'ArcByCenterPoint':
      case 'CircleByCenterPoint': {
        const [center] = this.points(node, frame, 1) as [Position];
        const radiusNode = child(node, 'radius');
        if (!radiusNode) throw new GmlGeometryError(`gml:${node.name} has no gml:radius`, node.line);
        const uom = radiusNode.attributes['uom'] ?? 'm';
        const factor = UOM_METRES[uom];
        if (factor === undefined) throw new GmlGeometryError(`radius unit '${uom}' is not known (use m, km, NM, ft or an EPSG unit URI)`, radiusNode.line);
        const radius = Number(radiusNode.text.trim()) * factor;
        if (!(radius > 0)) throw new GmlGeometryError(`radius '${radiusNode.text.trim()}' is not a positive length`, radiusNode.line);
        const angle = (name: string, fallback: number) => {
          const element = child(node, name);
          if (!element) return fallback;
          const unit = ANGLE_DEGREES[element.attributes['uom'] ?? 'deg'];
          if (unit === undefined) throw new GmlGeometryError(`angle unit '${element.attributes['uom']}' is not known`, element.line);
          const value = Number(element.text.trim());
          if (!Number.isFinite(value)) throw new GmlGeometryError(`gml:${name} '${element.text.trim()}' is not a number`, element.line);
          return value * unit;
        };
        const start = angle('startAngle', 0);
        const end = node.name === 'CircleByCenterPoint' ? start + 360 : angle('endAngle', start + 360);
        const arc = arcByCenterPoint(center, radius, start, end, frame.crs.swapAxes, frame.space);
        this.approximateEnds.set(arc, (0.01 * radius) / (frame.space.geographic ? 111_320 : frame.space.metresPerUnit));
        return arc;
      }
      case 'ArcByBulge':
      case 'ArcStringByBulge': {
        const points = this.points(node, frame, 2);
        const bulges = childrenNamed(node, 'bulge').map((b) => Number(b.text.trim()));
        const normals = childrenNamed(node, 'normal').map((n) => Number(n.text.trim().split(/\s+/)[0]));
        const arcs: Position[][] = [];
        for (let i = 0; i + 1 < points.length; i++) {
          const bulge = bulges[i];
          if (bulge === undefined || !Number.isFinite(bulge)) throw new GmlGeometryError(`gml:${node.name} lacks gml:bulge for arc ${i + 1}`, node.line);
          arcs.push(arcByBulge(points[i]!, points[i + 1]!, bulge, normals[i] ?? 1, frame.space));
        }
        return this.join(arcs, node, 'arc');
      }
      case 'Bezier': {
        const degree = child(node, 'degree');
        return this.evaluated(node, bezier(this.points(node, frame, 2), degree ? this.integer(degree) : null, frame.space));
      }
      case 'BSpline': {
        const points = this.points(node, frame, 2);
        const degree = child(node, 'degree');
        return this.evaluated(node, bSpline(points, degree ? this.integer(degree) : Math.min(3, points.length - 1), this.knots(node), frame.space));
      }
      case 'CubicSpline': {
        const vector = (name: string) => {
          const element = child(node, name);
          return element ? this.axisOrdered(this.numbers(element.text, element), frame) : null;
        };
        return this.evaluated(node, cubicSpline(this.points(node, frame, 2), vector('vectorAtStart'), vector('vectorAtEnd'), frame.space));
      }
      case 'Curve': {
        const segments = childrenNamed(node, 'segments');
        if (segments.length !== 1) throw new GmlGeometryError(segments.length ? 'gml:Curve has more than one gml:segments' : 'gml:Curve has no gml:segments', node.line);
        const parts = segments[0]!.children.filter((c) => c.gml).map((segment) => this.curvePoints(segment, this.frame(segment, frame)));
        if (parts.length === 0) throw new GmlGeometryError('gml:Curve has empty gml:segments', segments[0]!.line);
        return this.join(parts, node, 'segment');
      }
      case 'OrientableCurve': {
        const base = child(node, 'baseCurve');
        const target = base ? (this.resolve(base) ?? base.children.find((c) => c.gml)) : undefined;
        if (!target) throw new GmlGeometryError('gml:OrientableCurve has no gml:baseCurve', node.line);
        const points = this.curvePoints(target, this.frame(target, frame));
        return node.attributes['orientation'] === '-' ? [...points].reverse() : points;
      }
      case 'CompositeCurve': {
        const members = this.members(node, ['curveMember']);
        if (members.length === 0) throw new GmlGeometryError('gml:CompositeCurve has no gml:curveMember', node.line);
        return this.join(members.map((m) => this.sameFrame(m, frame, () => this.curvePoints(m, frame))), node, 'member');
      }
      default:
        throw new GmlGeometryError(`gml:${node.name} is not a supported curve${CURVE_SEGMENTS.includes(node.name) ? ' segment' : ''}`, node.line);
    }
  }

  private evaluated(node: GmlNode, result: Position[] | string): Position[] {
    if (typeof result === 'string') throw new GmlGeometryError(`gml:${node.name}: ${result}`, node.line);
    return result;
  }

  private integer(node: GmlNode): number {
    const value = Number(node.text.trim());
    if (!Number.isInteger(value)) throw new GmlGeometryError(`gml:${node.name} '${node.text.trim()}' is not an integer`, node.line);
    return value;
  }

  /** gml:knot/gml:Knot (value, multiplicity, weight) of a BSpline; rational splines (weights other than 1) are not supported. */
  private knots(node: GmlNode): Knot[] | null {
    const knots = childrenNamed(node, 'knot').map((k) => child(k, 'Knot') ?? k);
    if (knots.length === 0) return null;
    return knots.map((knot) => {
      const number = (name: string): number | null => {
        const element = child(knot, name);
        if (!element) return null;
        const value = Number(element.text.trim());
        if (!Number.isFinite(value)) throw new GmlGeometryError(`gml:${name} '${element.text.trim()}' is not a number`, element.line);
        return value;
      };
      const value = number('value');
      if (value === null) throw new GmlGeometryError('gml:Knot has no gml:value', knot.line);
      if ((number('weight') ?? 1) !== 1) throw new GmlGeometryError('gml:BSpline with knot weights other than 1 (a rational spline) is not supported', knot.line);
      const multiplicity = number('multiplicity') ?? 1;
      if (!Number.isInteger(multiplicity) || multiplicity < 1) throw new GmlGeometryError(`gml:multiplicity ${multiplicity} is not a positive integer`, knot.line);
      return { value, multiplicity };
    });
  }

  /** Members of a composite must be in the composite's CRS (they are joined before reprojection). */
  private sameFrame<T>(member: GmlNode, frame: Frame, work: () => T): T {
    const own = this.frame(member, frame);
    if (own !== frame && own.srsName !== frame.srsName) {
      throw new GmlGeometryError(`gml:${member.name} is in ${own.srsName}, its composite in ${frame.srsName}`, member.line);
    }
    return work();
  }

  // ------------------------------------------------------------ surfaces

  private ring(node: GmlNode, frame: Frame): Position[] {
    let points: Position[];
    if (node.name === 'Ring') {
      const members = this.members(node, ['curveMember']);
      if (members.length === 0) throw new GmlGeometryError('gml:Ring has no gml:curveMember', node.line);
      points = this.join(members.map((m) => this.curvePoints(m, this.frame(m, frame))), node, 'curve member');
    } else if (node.name === 'LinearRing') {
      points = this.points(node, frame, 4);
    } else {
      throw new GmlGeometryError(`gml:${node.name} is not a ring`, node.line);
    }
    if (!GeometryBuilder.equal(points[0]!, points[points.length - 1]!)) {
      throw new GmlGeometryError(`gml:${node.name} is not closed: it starts at (${points[0]!.join(' ')}) and ends at (${points[points.length - 1]!.join(' ')})`, node.line);
    }
    if (points.length < 4) throw new GmlGeometryError(`gml:${node.name} has ${points.length} positions, a ring needs at least 4`, node.line);
    return this.finish(points, frame, node);
  }

  private ringOf(boundary: GmlNode | undefined, frame: Frame): Position[] | null {
    if (!boundary) return null;
    const ring = boundary.children.find((c) => c.gml);
    if (!ring) throw new GmlGeometryError(`gml:${boundary.name} holds no ring`, boundary.line);
    return this.ring(ring, this.frame(ring, frame));
  }

  private polygon(node: GmlNode, frame: Frame): Position[][] {
    const exterior = this.ringOf(child(node, 'exterior') ?? child(node, 'outerBoundaryIs'), frame);
    if (!exterior) throw new GmlGeometryError(`gml:${node.name} has no exterior ring`, node.line);
    const interiors = [...childrenNamed(node, 'interior'), ...childrenNamed(node, 'innerBoundaryIs')].map((b) => this.ringOf(b, frame)!);
    return [exterior, ...interiors];
  }

  /** Polygons of any surface-like element (patches, members, shells). */
  private surfaces(node: GmlNode, frame: Frame): Position[][][] {
    const own = this.frame(node, frame);
    switch (node.name) {
      case 'Polygon':
      case 'PolygonPatch':
      case 'Triangle':
      case 'Rectangle':
        return [this.polygon(node, own)];
      case 'Surface':
      case 'PolyhedralSurface':
      case 'TriangulatedSurface':
      case 'Tin': {
        const patches = child(node, 'patches') ?? child(node, 'polygonPatches') ?? child(node, 'trianglePatches');
        if (!patches) throw new GmlGeometryError(`gml:${node.name} has no gml:patches`, node.line);
        return patches.children.filter((c) => c.gml).map((patch) => this.polygon(patch, this.frame(patch, own)));
      }
      case 'OrientableSurface': {
        const base = child(node, 'baseSurface');
        const target = base ? (this.resolve(base) ?? base.children.find((c) => c.gml)) : undefined;
        if (!target) throw new GmlGeometryError('gml:OrientableSurface has no gml:baseSurface', node.line);
        const polygons = this.surfaces(target, own);
        return node.attributes['orientation'] === '-' ? polygons.map((rings) => rings.map((ring) => [...ring].reverse())) : polygons;
      }
      case 'CompositeSurface':
      case 'MultiSurface':
      case 'MultiPolygon':
      case 'Shell':
        return this.members(node, ['surfaceMember', 'surfaceMembers', 'polygonMember']).flatMap((m) => this.surfaces(m, own));
      case 'Solid': {
        const exterior = child(node, 'exterior');
        const shell = exterior ? (this.resolve(exterior) ?? exterior.children.find((c) => c.gml)) : undefined;
        if (!shell) throw new GmlGeometryError('gml:Solid has no gml:exterior shell', node.line);
        return this.surfaces(shell, own);
      }
      case 'CompositeSolid':
      case 'MultiSolid':
        return this.members(node, ['solidMember', 'solidMembers']).flatMap((m) => this.surfaces(m, own));
      default:
        throw new GmlGeometryError(`gml:${node.name} is not a surface`, node.line);
    }
  }
}
