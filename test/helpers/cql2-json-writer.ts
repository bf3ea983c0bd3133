import type { Cql2Node, IntervalEnd } from '../../src/ogcapi/filter/cql2/cql2-ast.js';

/** Writes a syntax tree as a CQL2 JSON document (the inverse of parseCql2Json), for tests. */
export function toCql2Json(node: Cql2Node): unknown {
  switch (node.kind) {
    case 'op':
      return { op: node.op, args: node.args.map(toCql2Json) };
    case 'function':
      return { op: node.name, args: node.args.map(toCql2Json) };
    case 'property':
      return { property: node.name };
    case 'string':
    case 'number':
    case 'boolean':
      return node.value;
    case 'date':
      return { date: node.value };
    case 'timestamp':
      return { timestamp: node.value };
    case 'interval':
      return { interval: [intervalEnd(node.start), intervalEnd(node.end)] };
    case 'geometry':
      return node.geometry;
    case 'bbox':
      return { bbox: node.values };
    case 'array':
      return node.items.map(toCql2Json);
  }
}

function intervalEnd(end: IntervalEnd): unknown {
  if (end.kind === 'open') return '..';
  if (end.kind === 'date' || end.kind === 'timestamp') return end.value;
  return toCql2Json(end);
}
