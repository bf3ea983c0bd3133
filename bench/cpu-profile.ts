/**
 * Self time by module and by function from a V8 `.cpuprofile` (what `node --cpu-prof` writes), for
 * the profile part of `npm run bench`: a sample's time is the gap to the next sample, charged to the
 * function on top of the stack; only samples inside the load window count, so start-up and warm-up
 * stay out. Modules are named by where their code lives: a package under node_modules (koa,
 * @koa/router, koa-compress, pino, pg, pg-protocol, …), a file of placelink's dist/, a part of Node
 * itself (node:http, node:net, …), the bench's own files, a native function by name (`(native writev)`:
 * the system call that writes a socket), or V8's pseudo-frames ((garbage collector), (program)).
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

/** The parts of a .cpuprofile read here; times in microseconds of the monotonic clock (process.hrtime's). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
}

export interface ProfileSummary {
  /** Milliseconds of the window the samples cover, and of them those the main thread was not idle. */
  readonly windowMs: number;
  readonly busyMs: number;
  readonly requests: number;
  /** Busy self time per module, most first. */
  readonly modules: readonly SelfTime[];
  /** Busy self time per function (`name  module:line`), most first. */
  readonly functions: readonly SelfTime[];
}

const NODE_PARTS: Record<string, string> = { http_server: 'http', http_outgoing: 'http', http_incoming: 'http', http_common: 'http', stream_base_commons: 'net' };

/** The module a frame's code belongs to. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `(native ${functionName || 'anonymous'})`;
  if (url.startsWith('node:')) {
    const part = url.slice('node:'.length).replace(/^internal\//, '').split('/')[0]!.replace(/\.js$/, '').replace(/^_/, '');
    return `node:${NODE_PARTS[part] ?? part}`;
  }
  const inPackage = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return inPackage[1]!;
  const inDist = /\/dist\/(.+)$/.exec(url);
  if (inDist) return `placelink ${inDist[1]}`;
  const inBench = /\/bench\/(.+)$/.exec(url);
  if (inBench) return `bench ${inBench[1]}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time inside [fromUs, toUs] of the monotonic clock (the whole profile without a window). */
export function summarizeProfile(profile: CpuProfile, requests: number, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const from = window?.fromUs ?? profile.startTime;
  const to = window?.toUs ?? profile.endTime;
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  let covered = 0;
  let t = profile.startTime;
  const times: number[] = [];
  for (const delta of profile.timeDeltas) times.push((t += delta));
  profile.samples.forEach((id, i) => {
    const start = times[i]!;
    const end = i + 1 < times.length ? times[i + 1]! : profile.endTime;
    if (start < from || start >= to) return;
    const us = Math.max(0, end - start);
    covered += us;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') return;
    busy += us;
    const module = moduleOf(frame);
    modules.set(module, (modules.get(module) ?? 0) + us);
    // Lines of TypeScript run through tsx are those of its transformed code: not worth showing.
    const line = frame.url.endsWith('.ts') ? '' : `:${frame.lineNumber + 1}`;
    const name = frame.url ? `${frame.functionName || '(anonymous)'}  ${module}${line}` : module;
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  const sorted = (m: Map<string, number>) => [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { windowMs: covered / 1000, busyMs: busy / 1000, requests, modules: sorted(modules), functions: sorted(functions) };
}

const perRequest = (ms: number, requests: number) => (requests > 0 ? (1000 * ms) / requests : 0);
const us = (value: number) => value.toFixed(1).padStart(8);

/** Busy time per request of each, then the modules side by side in µs per request, most extra first. */
export function compareProfiles(named: Record<string, ProfileSummary>, rows = 40): string {
  const names = Object.keys(named);
  const lines = names.map((n) => {
    const s = named[n]!;
    return `${n}: ${s.requests} requests in ${(s.windowMs / 1000).toFixed(1)} s profiled, main thread busy ${(s.busyMs / 1000).toFixed(2)} s → ${perRequest(s.busyMs, s.requests).toFixed(1)} µs CPU per request`;
  });
  const all = new Set(names.flatMap((n) => named[n]!.modules.map((m) => m.name)));
  const value = (n: string, module: string) => perRequest(named[n]!.modules.find((m) => m.name === module)?.ms ?? 0, named[n]!.requests);
  const [first, second] = names as [string, string?];
  // The modules that weigh most in either profile, those with the most extra time in the first one first.
  const largest = (m: string) => Math.max(...names.map((n) => value(n, m)));
  const shown = [...all].sort((a, b) => largest(b) - largest(a)).slice(0, rows);
  const extra = (m: string) => (second ? value(first, m) - value(second, m) : value(first, m));
  shown.sort((a, b) => extra(b) - extra(a));
  const width = Math.max(20, ...shown.map((m) => m.length));
  lines.push('', `self time, µs per request${second ? ` (most extra in ${first} first)` : ''}:`);
  lines.push(`  ${'module'.padEnd(width)} ${names.map((n) => n.padStart(10)).join(' ')}${second ? '      extra' : ''}`);
  for (const module of shown) {
    const values = names.map((n) => value(n, module));
    lines.push(`  ${module.padEnd(width)} ${values.map((v) => `${us(v)}  `).join(' ')}${second ? us(values[0]! - values[1]!) : ''}`);
  }
  if (all.size > shown.length) {
    const rest = [...all].filter((m) => !shown.includes(m));
    const values = names.map((n) => rest.reduce((sum, m) => sum + value(n, m), 0));
    lines.push(`  ${`(${rest.length} more modules)`.padEnd(width)} ${values.map((v) => `${us(v)}  `).join(' ')}${second ? us(values[0]! - values[1]!) : ''}`);
  }
  return lines.join('\n');
}

/** The functions with the most self time, in µs per request. */
export function topFunctions(name: string, summary: ProfileSummary, rows = 25): string {
  const lines = [`${name}: top functions by self time (µs per request, % of busy)`];
  for (const f of summary.functions.slice(0, rows)) {
    lines.push(`  ${us(perRequest(f.ms, summary.requests))} ${((100 * f.ms) / summary.busyMs).toFixed(1).padStart(5)} %  ${f.name}`);
  }
  return lines.join('\n');
}
