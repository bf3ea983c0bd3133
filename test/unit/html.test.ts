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
