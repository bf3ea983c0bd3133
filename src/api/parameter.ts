import { InvariantError } from '../domain/errors.js';
import { rejectUnknown, type RawQuery } from './query-values.js';

/** An OpenAPI 3.0 parameter object. */
export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header';
  readonly description: string;
  readonly required: boolean;
  readonly schema: Record<string, unknown>;
  readonly style?: string;
  readonly explode?: boolean;
}

/** An optional query parameter in the form OGC API documents use (form style, not exploded). */
export function queryParameter(name: string, description: string, schema: Record<string, unknown>): OpenApiParameter {
  return { name, in: 'query', description, required: false, style: 'form', explode: false, schema };
}

/**
 * One query parameter module, as ldproxy's query-parameter building blocks are: the names it owns,
 * their OpenAPI declarations, and how it reads them into the request a resource is building. A
 * resource's parameters are the modules its enabled blocks contribute; its unknown-parameter check
 * and its OpenAPI parameter list are derived from the same modules.
 */
export interface QueryParameter<Scope extends object, Draft> {
  /** The parameter names it reads, each declared in `openapi` under the same name. */
  readonly names: readonly string[];
  readonly openapi: Readonly<Record<string, OpenApiParameter>>;
  /** Parameters whose values it reads from the draft: they are read first when present. */
  readonly after?: readonly string[];
  /** Parameters that exist only for some scopes (a collection's queryables as parameters), with their declarations. */
  scoped?(scope: Scope): readonly OpenApiParameter[];
  /** Reads its parameters into the draft; an unusable value is an InvalidParameterError naming the parameter. */
  read(query: RawQuery, scope: Scope, draft: Draft): void;
}

/** The modules in an order where each comes after the ones whose parameters it uses. */
export function readingOrder<Scope extends object, Draft>(modules: readonly QueryParameter<Scope, Draft>[]): QueryParameter<Scope, Draft>[] {
  const owner = new Map<string, QueryParameter<Scope, Draft>>();
  for (const module of modules) for (const name of module.names) owner.set(name, module);
  const ordered: QueryParameter<Scope, Draft>[] = [];
  const placed = new Set<QueryParameter<Scope, Draft>>();
  const visiting = new Set<QueryParameter<Scope, Draft>>();
  const place = (module: QueryParameter<Scope, Draft>) => {
    if (placed.has(module)) return;
    if (visiting.has(module)) throw new InvariantError(`query parameters ${module.names.join(', ')} depend on each other in a circle`);
    visiting.add(module);
    for (const name of module.after ?? []) {
      const before = owner.get(name);
      if (before) place(before);
    }
    visiting.delete(module);
    placed.add(module);
    ordered.push(module);
  };
  for (const module of modules) place(module);
  return ordered;
}

/** A resource's parameter modules, ready to read a request: unknown names are refused, then each module reads its own. */
export interface ParameterSet<Scope extends object, Draft> {
  readonly modules: readonly QueryParameter<Scope, Draft>[];
  /** Every parameter the resource accepts for a scope. */
  accepted(scope: Scope): ReadonlySet<string>;
  /** The scoped parameters' declarations for a scope. */
  scoped(scope: Scope): OpenApiParameter[];
  read(query: RawQuery, scope: Scope, draft: Draft): Draft;
  /** The OpenAPI declarations of the fixed parameters, by name. */
  openapi(): Record<string, OpenApiParameter>;
}

export function parameterSet<Scope extends object, Draft>(modules: readonly QueryParameter<Scope, Draft>[]): ParameterSet<Scope, Draft> {
  const ordered = readingOrder(modules);
  const fixed = new Set(ordered.flatMap((m) => m.names));
  const scoped = ordered.filter((m) => m.scoped);
  // Scopes are immutable values (collections from the catalog cache): their parameter names are computed once.
  const byScope = new WeakMap<Scope, ReadonlySet<string>>();
  const accepted = (scope: Scope): ReadonlySet<string> => {
    if (scoped.length === 0) return fixed;
    let names = byScope.get(scope);
    if (!names) byScope.set(scope, (names = new Set([...fixed, ...scoped.flatMap((m) => m.scoped!(scope).map((p) => p.name))])));
    return names;
  };
  return {
    modules: ordered,
    accepted,
    read(query, scope, draft) {
      rejectUnknown(query, accepted(scope));
      for (const module of ordered) module.read(query, scope, draft);
      return draft;
    },
    scoped: (scope) => scoped.flatMap((m) => m.scoped!(scope)),
    openapi: () => Object.fromEntries(ordered.flatMap((m) => Object.entries(m.openapi))),
  };
}
