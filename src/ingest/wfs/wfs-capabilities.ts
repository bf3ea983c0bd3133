import { SaxesParser } from 'saxes';

/**
 * What a WFS capabilities document says that @camptocamp/ogc-client does not expose: the
 * OperationsMetadata constraints on paging and page size, and the output formats listed on the
 * GetFeature operation (GeoServer lists JSON there and only GML on each feature type).
 */
export interface WfsServiceConstraints {
  /** `ImplementsResultPaging` (service or GetFeature level); null when not stated (WFS 1.x). */
  readonly implementsResultPaging: boolean | null;
  /** `CountDefault`: the most features the server returns for one request; null when not stated. */
  readonly countDefault: number | null;
  /** `outputFormat` values of the GetFeature operation (WFS 1.1/2.0) or its ResultFormat (1.0). */
  readonly getFeatureFormats: readonly string[];
}

/** Reads the constraints out of a capabilities document (streamed with saxes, kept as little as needed). */
export function readWfsConstraints(xml: string): WfsServiceConstraints {
  const parser = new SaxesParser({ xmlns: true });
  const path: { local: string; name: string | null }[] = [];
  const constraints = new Map<string, string>();
  const formats: string[] = [];
  let text = '';

  const inside = (local: string, name?: string) => path.some((e) => e.local === local && (name === undefined || e.name === name));

  parser.on('opentag', (tag) => {
    path.push({ local: tag.local, name: (tag.attributes['name'] as { value: string } | undefined)?.value ?? null });
    text = '';
    // WFS 1.0: <GetFeature><ResultFormat><GML2/><GEOJSON/></ResultFormat>
    if (path.length > 2 && path[path.length - 2]!.local === 'ResultFormat' && inside('GetFeature')) formats.push(tag.local);
  });
  parser.on('text', (chunk) => {
    text += chunk;
  });
  parser.on('closetag', (tag) => {
    if (tag.local === 'DefaultValue' || tag.local === 'Value') {
      const constraint = [...path].reverse().find((e) => e.local === 'Constraint');
      const operation = [...path].reverse().find((e) => e.local === 'Operation');
      if (constraint?.name && (!operation || operation.name === 'GetFeature') && inside('OperationsMetadata')) {
        if (!constraints.has(constraint.name) || tag.local === 'DefaultValue') constraints.set(constraint.name, text.trim());
      }
      if (inside('Operation', 'GetFeature') && inside('Parameter', 'outputFormat') && tag.local === 'Value') formats.push(text.trim());
    }
    path.pop();
    text = '';
  });
  parser.write(xml).close();

  const paging = constraints.get('ImplementsResultPaging');
  const count = constraints.get('CountDefault');
  return {
    implementsResultPaging: paging === undefined ? null : /^true$/i.test(paging),
    countDefault: count !== undefined && /^\d+$/.test(count) && Number(count) > 0 ? Number(count) : null,
    getFeatureFormats: formats,
  };
}
