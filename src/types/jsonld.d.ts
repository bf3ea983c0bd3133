declare module 'jsonld' {
  /** A term definition of an active context (jsonld.js keeps them in `mappings`). */
  export interface TermDefinition {
    readonly '@id'?: string;
    readonly '@type'?: string;
    readonly '@container'?: readonly string[];
    readonly reverse?: boolean;
  }
  export interface ActiveContext {
    readonly mappings: ReadonlyMap<string, TermDefinition>;
    readonly '@vocab'?: string;
  }
  export interface RemoteDocument {
    readonly contextUrl: string | null;
    readonly documentUrl: string;
    readonly document: unknown;
  }
  export interface Options {
    documentLoader?: (url: string) => Promise<RemoteDocument>;
    base?: string;
    safe?: boolean;
  }
  const jsonld: {
    processContext(activeContext: ActiveContext | null, localContext: unknown, options?: Options): Promise<ActiveContext>;
    expand(input: unknown, options?: Options): Promise<unknown[]>;
    compact(input: unknown, context: unknown, options?: Options): Promise<Record<string, unknown>>;
  };
  export default jsonld;
}
