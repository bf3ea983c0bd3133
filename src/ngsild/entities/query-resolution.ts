import type { EntityCondition, EntityGeoFilter, EntityLiteral, EntityPath } from '../../domain/entity.js';
import { OperationNotSupportedError } from '../../domain/errors.js';
import type { TermMap } from '../context/term-map.js';
import type { GeoQuery } from '../query/geo-query.js';
import type { QAttribute, QExpression, QValue } from '../query/q-language.js';
import type { EntityTypeSelection } from '../query/type-selection.js';
import { storedName, type EntityType } from './entity-types.js';

/** The entity collections a type selection names; null selects every one. */
export function selectTypes(selection: EntityTypeSelection | null, types: readonly EntityType[], request: TermMap): EntityType[] {
  if (selection === null || selection.kind === 'any') return [...types];
  const matches = (type: EntityType, s: EntityTypeSelection): boolean => {
    switch (s.kind) {
      case 'any':
        return true;
      case 'type':
        return request.expand(s.name) === type.typeIri;
      // Each collection holds entities of one type: a conjunction of several types selects none of them.
      case 'and':
        return s.types.every((t) => request.expand(t.name) === type.typeIri);
      case 'or':
        return s.operands.some((operand) => matches(type, operand));
    }
  };
  return types.filter((type) => matches(type, selection));
}

function literal(value: QValue): EntityLiteral {
  switch (value.kind) {
    case 'number':
      return { kind: 'number', value: value.value };
    case 'boolean':
      return { kind: 'boolean', value: value.value };
    case 'uri':
      return { kind: 'uri', value: value.value };
    // A bare term is a vocabulary value compared as the string it is (expandValues is V1.9).
    case 'term':
    case 'string':
      return { kind: 'string', value: value.value };
    case 'dateTime':
    case 'date':
    case 'time':
      return { kind: value.kind, value: value.value };
  }
}

function path(attribute: QAttribute, type: EntityType, request: TermMap): EntityPath {
  if (attribute.links.length) throw new OperationNotSupportedError('q: linked-entity queries (relationship{Type:attribute}) are not supported by placelink');
  const [name, ...subAttributes] = attribute.path;
  const trailing = attribute.trailing;
  return {
    attribute: storedName(name, type, request),
    // observedAt, unitCode … are NGSI-LD members; other names are sub-attributes in the collection's terms.
    subAttributes: subAttributes.map((sub) => (['observedAt', 'unitCode', 'datasetId', 'createdAt', 'modifiedAt'].includes(sub) ? sub : storedName(sub, type, request))),
    members: trailing?.kind === 'members' ? trailing.names : [],
    language: trailing?.kind === 'language' ? trailing.tag : trailing?.kind === 'anyLanguage' ? '*' : null,
  };
}

/** The q language (clause 4.9) in a collection's stored names. */
export function resolveQuery(expression: QExpression, type: EntityType, request: TermMap): EntityCondition {
  switch (expression.kind) {
    case 'and':
    case 'or':
      return { kind: expression.kind, operands: expression.operands.map((operand) => resolveQuery(operand, type, request)) };
    case 'exists':
      return { kind: 'exists', path: path(expression.attribute, type, request) };
    case 'equality': {
      const at = path(expression.attribute, type, request);
      const negated = expression.operator === '!=';
      const operand = expression.operand;
      if (operand.kind === 'range') return { kind: 'range', negated, path: at, low: literal(operand.low), high: literal(operand.high) };
      const values = operand.kind === 'list' ? operand.values : [operand];
      return { kind: 'equals', negated, path: at, values: values.map(literal) };
    }
    case 'ordering':
      return { kind: 'compare', operator: expression.operator, path: path(expression.attribute, type, request), value: literal(expression.value) };
    case 'pattern':
      return { kind: 'pattern', negated: expression.operator === '!~=', path: path(expression.attribute, type, request), pattern: expression.pattern };
  }
}

/** A geo-query on `location` (the feature geometry) or on another GeoProperty of the collection's entities. */
export function resolveGeoQuery(query: GeoQuery, type: EntityType, request: TermMap): EntityGeoFilter {
  const location = request.expand(query.geoproperty) === request.expand('location');
  return {
    relation: query.georel === 'near' ? (query.distance.bound === 'maxDistance' ? 'near-max' : 'near-min') : query.georel,
    distance: query.georel === 'near' ? query.distance.metres : null,
    geometry: query.geometry,
    attribute: location ? null : storedName(query.geoproperty, type, request),
  };
}
