import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loadConfig, redactedConfig } from '../../src/config/env.js';
import { ConfigurationError } from '../../src/domain/errors.js';

describe('configuration', () => {
  it('has defaults for an empty environment, with the embedded database and demo data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ databaseUrl: undefined, port: 8080, host: '127.0.0.1', dataDir: './data', demo: true, trustProxy: false, logLevel: 'info' });
  });

  it('turns the demo off by default with a real database', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db/places' }).demo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db/places', PLACELINK_DEMO: 'true' }).demo).toBe(true);
  });

  it('names every bad variable in one error', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', BASE_URL: 'not a url', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const locations = (error as ConfigurationError).issues.map((i) => i.location).sort();
      expect(locations).toEqual(['BASE_URL', 'DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      expect((error as Error).message).toContain('"eighty"');
    }
  });

  it('strips a trailing slash from BASE_URL', () => {
    expect(loadConfig({ BASE_URL: 'https://places.example.org/api/' }).baseUrl).toBe('https://places.example.org/api');
  });

  it('reads the NGSI-LD write key, at least 16 characters, and never logs it', () => {
    const config = loadConfig({ PLACELINK_NGSILD_API_KEY: 'ngsi-ld-key-0123456789' });
    expect(config).toMatchObject({ ngsiLdApiKey: 'ngsi-ld-key-0123456789', ngsiLdAnonymousWrites: false });
    expect(JSON.stringify(redactedConfig(config))).not.toContain('ngsi-ld-key-0123456789');
    expect(() => loadConfig({ PLACELINK_NGSILD_API_KEY: 'short' })).toThrow(/PLACELINK_NGSILD_API_KEY: expected an API key of at least 16 characters/);
  });

  it.each([['127.0.0.1'], ['127.12.0.9'], ['localhost'], ['::1'], ['[::1]']])('allows anonymous NGSI-LD writes with HOST=%s', (host) => {
    expect(loadConfig({ HOST: host, PLACELINK_NGSILD_ANONYMOUS_WRITES: 'true' }).ngsiLdAnonymousWrites).toBe(true);
  });

  it.each([['0.0.0.0'], ['192.168.1.10'], ['::'], ['places.example.org'], ['127.0.0.300'], ['128.0.0.1']])('refuses to start with anonymous NGSI-LD writes and HOST=%s, naming both variables', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
    try {
      loadConfig({ HOST: host, PLACELINK_NGSILD_ANONYMOUS_WRITES: 'true' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).issues.map((i) => i.location)).toEqual(['PLACELINK_NGSILD_ANONYMOUS_WRITES', 'HOST']);
      expect((error as Error).message).toContain(JSON.stringify(host));
    }
  });

  it('never logs the database password', () => {
    const dump = JSON.stringify(redactedConfig(loadConfig({ DATABASE_URL: 'postgres://places:s3cret@db:5432/places' })));
    expect(dump).not.toContain('s3cret');
    expect(dump).toContain('places:***@db');
  });
});
