import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { temporalRounds } from '../../src/ngsild/temporal/temporal-rounds.js';

const at = (value: number, observedAt?: string, datasetId?: string) => ({ type: 'Property', value, ...(observedAt ? { observedAt } : {}), ...(datasetId ? { datasetId } : {}) });

describe('a temporal representation as successive fragments', () => {
  it('orders each attribute by observedAt and writes the k-th instances together', () => {
    const rounds = temporalRounds({
      id: 'urn:ngsi-ld:Vehicle:1',
      type: 'Vehicle',
      speed: [at(80, '2020-01-01T00:05:00Z'), at(120, '2020-01-01T00:03:00Z'), at(100, '2020-01-01T00:07:00Z')],
      fuelLevel: at(67, '2020-01-01T00:03:00Z'),
    });
    expect(rounds).toEqual([
      { id: 'urn:ngsi-ld:Vehicle:1', type: 'Vehicle', speed: at(120, '2020-01-01T00:03:00Z'), fuelLevel: at(67, '2020-01-01T00:03:00Z') },
      { id: 'urn:ngsi-ld:Vehicle:1', type: 'Vehicle', speed: at(80, '2020-01-01T00:05:00Z') },
      { id: 'urn:ngsi-ld:Vehicle:1', type: 'Vehicle', speed: at(100, '2020-01-01T00:07:00Z') },
    ]);
  });

  it('keeps one series per datasetId, written side by side as a multi-attribute', () => {
    const rounds = temporalRounds({ id: 'x:1', type: 'T', speed: [at(1, '2020-01-01T00:02:00Z', 'urn:a'), at(2, '2020-01-01T00:01:00Z'), at(3, '2020-01-01T00:01:00Z', 'urn:a')] });
    expect(rounds).toEqual([
      { id: 'x:1', type: 'T', speed: [at(3, '2020-01-01T00:01:00Z', 'urn:a'), at(2, '2020-01-01T00:01:00Z')] },
      { id: 'x:1', type: 'T', speed: at(1, '2020-01-01T00:02:00Z', 'urn:a') },
    ]);
  });

  it('keeps the order of instances without observedAt, and an entity without attributes is one fragment', () => {
    expect(temporalRounds({ id: 'x:1', type: 'T', a: [at(1), at(2)] }).map((r) => r['a'])).toEqual([at(1), at(2)]);
    expect(temporalRounds({ id: 'x:1', type: 'T', '@context': 'c' })).toEqual([{ id: 'x:1', type: 'T', '@context': 'c' }]);
  });

  it('refuses an attribute with no instance', () => {
    expect(() => temporalRounds({ id: 'x:1', type: 'T', a: [] })).toThrow(InvalidInputError);
  });
});
