import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../../domain/errors.js';
import type { HttpOptions } from '../../domain/mapping.js';

/** A response whose body is read as a stream of bytes; `chunks` fails with an UpstreamError on timeouts and broken connections. */
export interface UpstreamResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  chunks(): AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface RetryNotice {
  readonly attempt: number;
  readonly attempts: number;
  readonly delayMs: number;
  readonly error: UpstreamError;
}

export interface HttpClient {
  /** GET with the mapping's credentials, headers and timeout (covering the whole body). */
  get(url: string, accept?: string): Promise<UpstreamResponse>;
  /** Runs `work` (a request and the reading of its body) again on retryable failures, with exponential backoff. */
  withRetries<T>(what: string, work: () => Promise<T>): Promise<T>;
  /** The URL as it may be shown and logged. */
  readonly redact: (text: string) => string;
}

export interface HttpClientOptions {
  readonly http: HttpOptions;
  readonly redact: (text: string) => string;
  readonly onRetry?: (notice: RetryNotice) => void;
  /** For tests: the clock to wait on between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const USER_AGENT = 'placelink (OASC MIM7 Places harvester)';

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { http, redact } = options;
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...http.headers };
  if (http.auth?.type === 'basic') headers['Authorization'] = `Basic ${Buffer.from(`${http.auth.username}:${http.auth.password}`).toString('base64')}`;
  if (http.auth?.type === 'bearer') headers['Authorization'] = `Bearer ${http.auth.token}`;

  async function get(url: string, accept?: string): Promise<UpstreamResponse> {
    const shown = redact(url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), http.timeoutMs);
    const timedOut = () => new UpstreamError(`${shown} did not answer completely within ${http.timeoutMs / 1000} s`, shown, null, true);
    let response: Response;
    try {
      response = await fetch(url, { headers: accept ? { ...headers, Accept: accept } : headers, signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      clearTimeout(timer);
      if (controller.signal.aborted) throw timedOut();
      throw new UpstreamError(`${shown} could not be reached: ${describeCause(error)}`, shown, null, true, { cause: error });
    }
    if (!response.ok) {
      clearTimeout(timer);
      const body = await response.text().catch(() => '');
      const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
      const detail = body.replace(/\s+/g, ' ').trim().slice(0, 300);
      const error = new UpstreamError(`${shown} answered HTTP ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`, shown, response.status, retryable);
      (error as { retryAfterMs?: number }).retryAfterMs = retryAfter(response.headers.get('retry-after'));
      throw error;
    }
    const body = response.body;
    let received = 0;
    async function* chunks(): AsyncIterable<Uint8Array> {
      try {
        if (!body) return;
        for await (const chunk of body) {
          received += chunk.byteLength;
          yield chunk;
        }
      } catch (error) {
        if (controller.signal.aborted) throw timedOut();
        throw new UpstreamError(`the response from ${shown} broke off after ${received} bytes: ${describeCause(error)}`, shown, response.status, true, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    }
    const collect = async () => {
      const parts: Uint8Array[] = [];
      for await (const chunk of chunks()) parts.push(chunk);
      return Buffer.concat(parts).toString('utf8');
    };
    return {
      url,
      status: response.status,
      headers: response.headers,
      chunks,
      text: collect,
      async json() {
        const text = await collect();
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new UpstreamError(`${shown} did not send JSON: ${(error as Error).message}`, shown, response.status, false);
        }
      },
    };
  }

  async function withRetries<T>(what: string, work: () => Promise<T>): Promise<T> {
    const { attempts, initialDelayMs, maxDelayMs } = http.retries;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof UpstreamError) || !error.retryable || attempt >= attempts) {
          if (error instanceof UpstreamError && error.retryable && attempts > 1) {
            throw new UpstreamError(`${what}: ${error.message} (gave up after ${attempts} attempts)`, error.url, error.status, false, { cause: error });
          }
          throw error;
        }
        const backoff = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        // ±20 % so many harvests do not retry in lockstep; Retry-After wins when the server sends one.
        const delayMs = Math.min(maxDelayMs, (error as { retryAfterMs?: number }).retryAfterMs ?? Math.round(backoff * (0.8 + Math.random() * 0.4)));
        options.onRetry?.({ attempt, attempts, delayMs, error });
        await wait(delayMs);
      }
    }
  }

  return { get, withRetries, redact };
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
