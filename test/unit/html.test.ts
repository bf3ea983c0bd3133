import { describe, expect, it } from 'vitest';
import { html, scriptJson, trusted } from '../../src/ogcapi/html/html.js';

describe('HTML templating', () => {
  it('escapes every interpolated value', () => {
    const value = '<script>alert("x")</script>&\'';
    expect(html`<td>${value}</td>`.value).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>');
  });
  it('escapes attribute values', () => {
    expect(html`<a href="${'x" onmouseover="evil()'}">`.value).toBe('<a href="x&quot; onmouseover=&quot;evil()">');
  });
  it('inserts trusted markup and nested templates unescaped', () => {
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}${trusted('<li>c</li>')}</ul>`.value).toBe('<ul><li>a</li><li>b</li><li>c</li></ul>');
  });
  it('keeps JSON from closing a script element', () => {
    expect(scriptJson({ a: '</script><script>' }).value).not.toContain('</script>');
  });
});

describe('links', async () => {
  const { apiUrl, selfUrl } = await import('../../src/api/urls.js');
  const ctx = (path: string, query: Record<string, string>) => ({ path, query, state: { baseUrl: 'http://example.org/base', apiBase: 'http://example.org/base' } }) as never;

  it('keep the query, replace and remove parameters, and encode values', () => {
    expect(selfUrl(ctx('/collections/a/items', { limit: '5', bbox: '1,2,3,4', f: 'html' }), { f: 'json', limit: undefined })).toBe(
      'http://example.org/base/collections/a/items?bbox=1%2C2%2C3%2C4&f=json',
    );
    expect(apiUrl(ctx('/', {}), '/collections/x y', { f: 'json', skip: undefined })).toBe('http://example.org/base/collections/x%20y?f=json');
  });

  it('percent-encode characters that may not appear raw in a path, every time', () => {
    for (let i = 0; i < 3; i++) expect(selfUrl(ctx('/collections/<b>"x"/items', {}))).toBe('http://example.org/base/collections/%3Cb%3E%22x%22/items');
  });
});
