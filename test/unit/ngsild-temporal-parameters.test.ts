import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/domain/errors.js';
import { readPeriod, readTemporalQuery, readTemporalRetrieve, readTimeWindow } from '../../src/ngsild/temporal/temporal-parameters.js';

describe('aggrPeriodDuration', () => {
  it.each([
    ['PT1H', { months: 0, microseconds: 3_600_000_000 }],
    ['P1D', { months: 0, microseconds: 86_400_000_000 }],
    ['P1W', { months: 0, microseconds: 7 * 86_400_000_000 }],
    ['PT0.5S', { months: 0, microseconds: 500_000 }],
    ['P1DT12H', { months: 0, microseconds: 36 * 3_600_000_000 }],
    ['P1M', { months: 1, microseconds: 0 }],
    ['P1Y2M', { months: 14, microseconds: 0 }],
    ['P0D', { months: 0, microseconds: 0 }],
  ])('%s is %o', (raw, period) => expect(readPeriod(raw)).toEqual(period));

  it.each(['P', 'PT', '1h', 'P1H', 'PT1D', 'P-1D', 'P1M1D', 'P1YT1H'])('refuses %s', (raw) => expect(() => readPeriod(raw)).toThrow(InvalidParameterError));
});

describe('timerel, timeAt and endTimeAt', () => {
  it('reads the three relations', () => {
    expect(readTimeWindow('before', '2024-01-01T00:00:00Z', undefined)).toEqual({ relation: 'before', timeAt: '2024-01-01T00:00:00Z', endTimeAt: null });
    expect(readTimeWindow('after', '2024-01-01T00:00:00+01:00', undefined)).toEqual({ relation: 'after', timeAt: '2024-01-01T00:00:00+01:00', endTimeAt: null });
    expect(readTimeWindow('between', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00.5Z')).toEqual({ relation: 'between', timeAt: '2024-01-01T00:00:00Z', endTimeAt: '2024-01-02T00:00:00.5Z' });
    expect(readTimeWindow(undefined, undefined, undefined)).toBeNull();
  });

  it.each([
    [undefined, '2024-01-01T00:00:00Z', undefined],
    ['after', undefined, undefined],
    ['after', '2024-01-01', undefined],
    ['after', '2024-01-01T00:00:00', undefined],
    ['after', '2024-02-30T00:00:00Z', undefined],
    ['before', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'],
    ['between', '2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z'],
    ['between', '2024-01-01T00:00:00Z', undefined],
    ['during', '2024-01-01T00:00:00Z', undefined],
  ])('refuses timerel=%s timeAt=%s endTimeAt=%s', (timerel, timeAt, endTimeAt) => expect(() => readTimeWindow(timerel, timeAt, endTimeAt)).toThrow(InvalidParameterError));
});

describe('temporal representations', () => {
  it('takes temporalValues and aggregatedValues from options or format, and the rest as for entities', () => {
    expect(readTemporalRetrieve({ options: 'temporalValues,sysAttrs' }).view).toMatchObject({ format: 'temporalValues', entity: { sysAttrs: true } });
    expect(readTemporalRetrieve({ format: 'simplified' }).view.format).toBe('temporalValues');
    expect(readTemporalRetrieve({ options: 'concise' }).view.format).toBe('concise');
    expect(readTemporalRetrieve({ options: 'aggregatedValues', aggrMethods: 'avg,max,avg' }).view.aggregation).toEqual({ methods: ['avg', 'max'], period: { months: 0, microseconds: 0 } });
    expect(readTemporalQuery({ type: 'Device', lastN: '3', timeproperty: 'modifiedAt', attrs: 'temperature' }).view).toMatchObject({ lastN: 3, timeProperty: 'modifiedAt', entity: { projection: { attrs: ['temperature'] } } });
  });

  it.each([{ options: 'temporalValues,aggregatedValues' }, { options: 'invalidOptions' }, { format: 'invalidFormat' }, { options: 'aggregatedValues' }, { lastN: '0' }, { timeproperty: 'seenAt' }])('refuses %o', (query) =>
    expect(() => readTemporalRetrieve(query)).toThrow(InvalidParameterError),
  );
});
