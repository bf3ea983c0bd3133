export interface Link {
  readonly href: string;
  readonly rel: string;
  readonly type?: string;
  readonly title?: string;
}

export interface JsonResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** GETs a URL and parses the body as JSON, failing with the body when it is not JSON. */
export async function getJson<T = unknown>(url: string, accept = 'application/json', headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, { headers: { Accept: accept, ...headers } });
  const text = await response.text();
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as T };
  } catch {
    throw new Error(`GET ${url} answered ${response.status} ${response.headers.get('content-type')} that is not JSON: ${text.slice(0, 300)}`);
  }
}

export const linkOf = (doc: { links: readonly Link[] }, rel: string, type?: string): Link | undefined =>
  doc.links.find((l) => l.rel === rel && (type === undefined || l.type === type));
