/** Minimal HTML templating: every interpolated value is escaped unless wrapped in `trusted()`. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export class TrustedHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks markup produced by `html` (or a constant) as safe to insert unescaped. */
export function trusted(value: string): TrustedHtml {
  return new TrustedHtml(value);
}

type Interpolation = TrustedHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof TrustedHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): TrustedHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new TrustedHtml(out);
}

/** JSON for an inline <script>: `<` is escaped so the data cannot close the script element. */
export function scriptJson(value: unknown): TrustedHtml {
  return new TrustedHtml(JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'));
}
