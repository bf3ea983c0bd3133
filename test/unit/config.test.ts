import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../src/config/env.js';
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

  it('never logs the database password', () => {
    const dump = JSON.stringify(redactedConfig(loadConfig({ DATABASE_URL: 'postgres://places:s3cret@db:5432/places' })));
    expect(dump).not.toContain('s3cret');
    expect(dump).toContain('places:***@db');
  });
});
