import type { ApiContext } from '../../api/building-block.js';
import { rejectUnknown } from '../../api/query-values.js';
import { FILTER_FUNCTIONS, type FilterFunction } from '../../domain/filter-functions.js';
import type { ValueType } from '../../domain/filter.js';
import { html } from '../html/html.js';
import { crumbsFor, page } from '../html/layout.js';
import { selfAndAlternates } from '../links.js';
import { negotiate } from '../negotiation.js';
import { PARAM } from '../vocabulary.js';

const ONLY_FORMAT = new Set([PARAM.format]);

/** Types of the Part 3 functions schema: dates and timestamps are both `datetime`. */
function functionTypes(type: ValueType): string[] {
  return [type === 'date' || type === 'timestamp' ? 'datetime' : type];
}

function functionDocument(f: FilterFunction): Record<string, unknown> {
  return { name: f.name, description: f.description, arguments: f.args.map((a) => ({ title: a.title, type: functionTypes(a.type) })), returns: functionTypes(f.returns) };
}

/** GET /functions: the functions filters may call. */
export function functionsHandler() {
  return async (ctx: ApiContext): Promise<void> => {
    rejectUnknown(ctx.query, ONLY_FORMAT);
    const format = negotiate(ctx);
    const links = selfAndAlternates(ctx, format);
    if (format === 'json') {
      ctx.body = { functions: FILTER_FUNCTIONS.map(functionDocument), links };
      return;
    }
    const base = ctx.state.baseUrl;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(
      { title: 'Filter functions', crumbs: crumbsFor(ctx.state.apiBase, [['Functions', undefined]]), links, baseUrl: base },
      html`<p>Functions a CQL2 filter may call, e.g. <code>s_distance(geometry, POINT(9.73 52.37)) &lt; 500</code>.</p>
<table><thead><tr><th>Function</th><th>Arguments</th><th>Returns</th><th>Description</th></tr></thead><tbody>
${FILTER_FUNCTIONS.map((f) => html`<tr><td><code>${f.name}</code></td><td>${f.args.map((a) => `${a.title}: ${a.type}`).join('; ')}</td><td>${f.returns}</td><td>${f.description}</td></tr>`)}
</tbody></table>`,
    );
  };
}
