import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatIssue, loadMappings, validateMappings, validateMappingText, type FileValidation } from '../../src/config/mappings-loader.js';
import { matchTopic, readMessage, sensorThingsDatastream } from '../../src/ingest/mqtt/mqtt-payload.js';
import { statedUnitProblem } from '../../src/domain/datastream.js';
import { normaliseInstant, normaliseTimeOrInterval, resultProblem, resultTypeOf } from '../../src/domain/observation.js';
import { hexoskinMqttExample } from '../helpers/mqtt-examples.js';
import { mappingFolder } from '../helpers/sensor-mappings.js';
import { haveFixtures } from '../helpers/shared-fixtures.js';

const check = (text: string, env: NodeJS.ProcessEnv = {}) => validateMappingText(text, '/tmp/mappings/s.yaml', env);
const lines = (result: FileValidation) => result.issues.map((issue) => formatIssue(issue, '/tmp/mappings'));

describe('sensor mappings', () => {
  it('normalises an MQTT mapping with defaults, topics, datastreams and link rules', async () => {
    const result = await check(`
source:
  type: mqtt
  url: mqtt://127.0.0.1:1883
  clientId: placelink-city
  password: \${MQTT_PASSWORD}
  username: placelink
  topics:
    - pattern: v1.1/+/Observations
    - { pattern: city/air/+/+, format: json, datastream: "{1}-{2}", time: ts, value: data.v, unit: data.unit, location: { lon: pos.lon, lat: pos.lat } }
target: { collection: city-air }
observations: { withoutZone: "+01:00", retention: 90d }
datastreams:
  - { id: s1-no2, name: NO2 at s1, unit: { symbol: "µg/m³" }, location: [9.73, 52.37], properties: { poleId: P1 } }
links:
  - { rule: property, collection: streetlights, sensorProperty: properties.poleId, priority: 1 }
  - { rule: nearest, collection: streetlights, maxDistance: 25 }
`, { MQTT_PASSWORD: 'secret' });
    expect(lines(result)).toEqual([]);
    const mapping = result.loaded!.mapping;
    expect(mapping.source).toMatchObject({ type: 'mqtt', clientId: 'placelink-city', password: 'secret', window: 20000, batchSize: 2000, batchMaxWaitMs: 50, sessionExpiryMs: 7 * 86_400_000, reconnect: { initialDelayMs: 250, maxDelayMs: 30_000 } });
    expect((mapping.source as unknown as { topics: unknown[] }).topics[1]).toEqual({ pattern: 'city/air/+/+', format: 'json', datastream: '{1}-{2}', time: ['ts'], resultTime: null, value: ['data', 'v'], unit: ['data', 'unit'], location: { lon: ['pos', 'lon'], lat: ['pos', 'lat'] } });
    expect(mapping.observations).toEqual({ withoutZone: '+01:00', oddOffsets: 'normalise', retentionMs: 90 * 86_400_000 });
    expect(mapping.datastreams[0]).toMatchObject({ id: 's1-no2', resultType: 'number', location: { type: 'Point', coordinates: [9.73, 52.37] } });
    expect(mapping.links.map((l) => [l.name, l.kind, l.priority])).toEqual([
      ['property-streetlights', 'property', 1],
      ['nearest-streetlights', 'nearest', 100],
    ]);
    expect(result.loaded!.redact('mqtt://placelink:secret@host')).toBe('mqtt://placelink:${MQTT_PASSWORD}@host');
  });

  it('names what is wrong: topic filters, literal passwords, rule kinds, missing datastreams, sections that do not apply', async () => {
    const mqtt = await check(`
source:
  type: mqtt
  url: mqtt://127.0.0.1:1883
  clientId: c1
  password: hunter2
  batch: { size: 50000 }
  topics:
    - pattern: v1.1/Datastreams(+)/Observations
    - { pattern: "a/#/b", format: json }
    - { pattern: x/y, format: json, datastream: "{2}" }
target: { collection: c1 }
links:
  - { rule: closest, collection: lights }
`);
    expect(lines(mqtt)).toEqual([
      's.yaml:7:18: source.batch.size: must be <= 20000 (got 50000)',
      's.yaml:14:13: links[0].rule: must be one of "nearest", "contains", "buffer", "property" (got "closest")',
    ]);
    const semantic = await check(`
source:
  type: mqtt
  url: mqtt://127.0.0.1:1883
  clientId: c1
  password: hunter2
  topics:
    - pattern: v1.1/Datastreams(+)/Observations
    - { pattern: "a/#/b", format: json }
    - { pattern: x/y, format: json, datastream: "{2}" }
target: { collection: c1 }
`);
    expect(lines(semantic)).toEqual([
      's.yaml:2:1: datastreams: is required for an mqtt source unless source.datastreamSource names the mapping whose datastreams the topics refer to',
      's.yaml:6:13: source.password: must come from the environment as ${VAR}, not be written into the mapping file',
      "s.yaml:8:16: source.topics[0].pattern: '+' must stand alone in a topic level (got 'Datastreams(+)')",
      "s.yaml:9:18: source.topics[1].pattern: '#' must be the whole last topic level (got '#')",
      's.yaml:10:49: source.topics[2].datastream: {2} is neither a wildcard level of the pattern ({1} … {0}) nor a payload path ({payload.…})',
    ]);
    const push = await check('source: { type: http-push }\ntarget: { collection: p1 }\nschedule: { interval: 1h }\n');
    expect(lines(push)).toEqual([
      expect.stringMatching(/datastreams: is required for an http-push source/),
      's.yaml:3:11: schedule: a http-push source pushes its observations; there is nothing to schedule',
    ]);
    const feature = await check('source: { type: file, path: /etc/hostname, format: geojson }\ntarget: { collection: f1 }\nlinks:\n  - { rule: contains, collection: b }\n');
    expect(lines(feature)).toEqual([
      's.yaml:4:5: links[0].sensors: is required: the sensor mapping(s) whose datastreams the rule links to these assets',
      "s.yaml:4:35: links[0].collection: a rule of an asset mapping links the mapping's own collection ('f1'); leave collection out",
    ]);
    const sensorSide = await check('source: { type: http-push }\ntarget: { collection: p1 }\ndatastreams: [{ id: d1 }]\nlinks:\n  - { rule: contains, sensors: other }\n');
    expect(lines(sensorSide)).toEqual([
      's.yaml:5:5: links[0].collection: is required: the asset collection the rule links datastreams to',
      "s.yaml:5:32: links[0].sensors: only applies to rules of asset mappings (a sensor mapping's rules link its own datastreams)",
    ]);
  });

  it('joins the link rules asset mappings declare to the sensor mappings they name, and names what does not fit', async () => {
    const directory = await mappingFolder({
      'lights.yaml': `
source: { type: file, path: /etc/hostname, format: geojson }
target: { collection: lights }
links:
  - { rule: nearest, sensors: push, maxDistance: 20, datastreams: [d1] }
  - { rule: contains, name: in-light, sensors: [push, elsewhere], datastreams: [d9] }
  - { rule: buffer, name: declared-twice, sensors: push, distance: 5 }
`,
      'push.yaml': `
source: { type: http-push }
target: { collection: pushed }
datastreams: [{ id: d1 }, { id: d2 }]
links:
  - { rule: property, name: declared-twice, collection: poles, sensorProperty: id }
`,
    });
    const results = await validateMappings(directory);
    expect(results.flatMap((r) => r.issues.map((issue) => formatIssue(issue, directory)))).toEqual([
      "lights.yaml:6:80: links[1].datastreams: 'push' declares no datastream 'd9'",
      "lights.yaml:6:48: links[1].sensors: no sensor mapping 'elsewhere' is loaded",
      "lights.yaml:7:27: links[2].name: 'declared-twice' is already the name of a link rule of 'push' (declared in 'push'); give this rule its own name",
    ]);
    await writeFile(path.join(directory, 'lights.yaml'), 'source: { type: file, path: /etc/hostname, format: geojson }\ntarget: { collection: lights }\nlinks:\n  - { rule: nearest, sensors: push, maxDistance: 20, datastreams: [d1] }\n');
    const loaded = await loadMappings(directory);
    const push = loaded.find((m) => m.mapping.id === 'push')!.mapping;
    expect(push.links.map((rule) => [rule.name, rule.collection, rule.declaredIn, rule.datastreams])).toEqual([
      ['declared-twice', 'poles', 'push', null],
      ['nearest-lights', 'lights', 'lights', ['d1']],
    ]);
  });
});

describe('observation times and results', () => {
  const strict = { withoutZone: 'reject', oddOffsets: 'normalise' } as const;
  it('normalises offsets, keeps sub-millisecond digits, and reads zone-less times only when told', () => {
    expect(normaliseInstant('2010-12-23T10:20:00-0700', strict)).toEqual({ value: { text: '2010-12-23T10:20:00-07:00', ms: Date.parse('2010-12-23T17:20:00Z') } });
    expect(normaliseInstant('2010-12-23T10:20:00-0700Z', strict)).toMatchObject({ value: { text: '2010-12-23T10:20:00-07:00' } });
    expect(normaliseInstant('2014-12-31T11:59:59.00+08:00', strict)).toMatchObject({ value: { text: '2014-12-31T11:59:59.00+08:00', ms: Date.parse('2014-12-31T03:59:59Z') } });
    expect(normaliseInstant('2024-03-30T11:35:00.1234567Z', strict)).toMatchObject({ value: { text: '2024-03-30T11:35:00.1234567Z' } });
    expect(normaliseInstant('2024-03-30T11:35:00', strict)).toEqual({ problem: expect.stringMatching(/has no time zone/) });
    expect(normaliseInstant('2024-03-30T11:35:00', { withoutZone: '+01:00', oddOffsets: 'normalise' })).toMatchObject({ value: { text: '2024-03-30T11:35:00+01:00' } });
    expect(normaliseInstant('2024-03-30T11:35:00', { withoutZone: 'utc', oddOffsets: 'normalise' })).toMatchObject({ value: { text: '2024-03-30T11:35:00Z' } });
    expect(normaliseInstant('2010-12-23T10:20:00-0700', { withoutZone: 'reject', oddOffsets: 'reject' })).toEqual({ problem: expect.stringMatching(/not in the RFC 3339 form/) });
    expect(normaliseInstant('2024-02-30T00:00:00Z', strict)).toEqual({ problem: "'2024-02-30T00:00:00Z' is not a valid date and time" });
    expect(normaliseInstant(1717171717, strict)).toEqual({ problem: 'must be an ISO 8601 date-time string, got 1717171717' });
    expect(normaliseTimeOrInterval('2015-03-01T00:00:00Z/2015-03-01T23:59:59Z', strict)).toMatchObject({ value: { start: { text: '2015-03-01T00:00:00Z' }, end: { text: '2015-03-01T23:59:59Z' } } });
    expect(normaliseTimeOrInterval('2015-03-02T00:00:00Z/2015-03-01T00:00:00Z', strict)).toEqual({ problem: "'2015-03-02T00:00:00Z/2015-03-01T00:00:00Z' ends before it starts" });
  });

  it('reads epoch milliseconds as Date.parse does, for any date of years 1–9999 and any offset up to ±15:59', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const instant = fc.record({
      time: fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T23:59:59Z'), noInvalidDate: true }),
      offset: fc.integer({ min: -(16 * 60 - 1), max: 16 * 60 - 1 }),
      micros: fc.integer({ min: 0, max: 999 }),
    });
    fc.assert(
      fc.property(instant, ({ time, offset, micros }) => {
        const local = new Date(time.getTime() + offset * 60_000).toISOString().slice(0, 23);
        const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
        const text = `${local}${String(micros).padStart(3, '0')}${zone}`;
        expect(normaliseInstant(text, strict)).toEqual({ value: { text, ms: time.getTime() } });
      }),
      { numRuns: 2000 },
    );
    expect(normaliseInstant('2024-01-01T00:00:00+16:00', strict)).toEqual({ problem: "'2024-01-01T00:00:00+16:00' has an offset beyond ±15:59" });
    expect(normaliseInstant('2016-12-31T23:59:60Z', strict)).toEqual({ problem: "'2016-12-31T23:59:60Z' cannot be read as a time" });
    expect(normaliseInstant('2024-02-29 10:00Z', strict)).toEqual({ value: { text: '2024-02-29T10:00:00Z', ms: Date.parse('2024-02-29T10:00:00Z') } });
    expect(normaliseInstant('2023-02-29T10:00:00Z', strict)).toEqual({ problem: "'2023-02-29T10:00:00Z' is not a valid date and time" });
  });

  it('checks results against declared and O&M-implied types', () => {
    expect(resultTypeOf('http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement')).toBe('number');
    expect(resultTypeOf('http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation')).toBe('boolean');
    expect(resultTypeOf('http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation')).toBe('any');
    expect(resultProblem(3, 'integer')).toBeNull();
    expect(resultProblem(3.5, 'integer')).toBe("result 3.5 is not an integer (the datastream's results are integers)");
    expect(resultProblem({ a: 1 }, 'array')).toBe("result {\"a\":1} is an object, not an array (the datastream's declared result type)");
    expect(resultProblem(null, 'any')).toBeNull();
    expect(resultProblem(undefined, 'any')).toBe('has no result');
  });
});

describe('MQTT topics and payloads', () => {
  it('matches topic filters and takes the datastream id from SensorThings topics', () => {
    expect(matchTopic('v1.1/+/Observations', 'v1.1/Datastreams(5)/Observations')).toEqual(['Datastreams(5)']);
    expect(matchTopic('city/#', 'city/air/s1/no2')).toEqual(['air/s1/no2']);
    expect(matchTopic('city/+/no2', 'city/air/s1/no2')).toBeNull();
    expect(sensorThingsDatastream("v1.1/Datastreams('a''b')/Observations")).toBe("a'b");
  });

  it.skipIf(!haveFixtures)('says what is wrong with the OGC engineering report example (hexoskin): its topic and its misspelt phenomenonTime', () => {
    const example = hexoskinMqttExample();
    expect(example.topic).toBe('v1.0/Datastreams({example_id}/Observations');
    expect(sensorThingsDatastream(example.topic)).toBeNull();
    const rule = { pattern: 'v1.0/#', format: 'sensorthings' as const, datastream: '{1}', time: ['phenomenonTime'], resultTime: null, value: ['result'], unit: null, location: null };
    expect(matchTopic(rule.pattern, example.topic)).toEqual(['Datastreams({example_id}/Observations']);
    expect(readMessage(rule, example.topic, ['Datastreams({example_id}/Observations'], Buffer.from(example.payload))).toEqual({ problem: 'topic is not of the form …/Datastreams(<id>)/Observations' });
    expect(readMessage(rule, 'v1.0/Datastreams(7)/Observations', ['Datastreams(7)/Observations'], Buffer.from(example.payload))).toEqual({
      problem: "the Observation has no phenomenonTime (found 'phenonmenonTime': misspelt?)",
    });
    const fixed = example.payload.replace('phenonmenonTime', 'phenomenonTime');
    expect(readMessage(rule, 'v1.0/Datastreams(7)/Observations', ['Datastreams(7)/Observations'], Buffer.from(fixed))).toEqual({
      datastream: '7',
      observations: [{ phenomenonTime: '2015-02-05T17:00:00Z', result: 72, resultTime: undefined, resultQuality: undefined, validTime: undefined, parameters: undefined, upstreamId: undefined }],
      units: [],
      location: null,
    });
  });

  it('reads JSON payloads by paths, arrays of them, and says what is missing', () => {
    const rule = { pattern: 'city/air/+/+', format: 'json' as const, datastream: '{1}-{2}', time: ['ts'], resultTime: null, value: ['data', 'v'], unit: ['data', 'u'], location: { lon: ['lon'], lat: ['lat'] } };
    expect(readMessage(rule, 'city/air/s1/no2', ['s1', 'no2'], Buffer.from('[{"ts":"2024-01-01T00:00:00Z","data":{"v":1},"lon":9.7,"lat":52.3},{"ts":"2024-01-01T00:01:00Z","data":{"v":2,"u":"ppb"}}]'))).toEqual({
      datastream: 's1-no2',
      observations: [
        { phenomenonTime: '2024-01-01T00:00:00Z', resultTime: undefined, result: 1 },
        { phenomenonTime: '2024-01-01T00:01:00Z', resultTime: undefined, result: 2 },
      ],
      units: [undefined, 'ppb'],
      location: { type: 'Point', coordinates: [9.7, 52.3] },
    });
    expect(readMessage(rule, 'city/air/s1/no2', ['s1', 'no2'], Buffer.from('{"ts":"2024-01-01T00:00:00Z","data":{"v":1},"lon":200,"lat":52}'))).toEqual({ problem: 'location (200, 52) is not a longitude and latitude' });
  });

  it("checks a stated unit against the datastream's symbol, name or definition", () => {
    const declared = { name: 'microgram per cubic metre', symbol: 'µg/m³', definition: 'http://qudt.org/vocab/unit/MicroGM-PER-M3' };
    expect(statedUnitProblem('µg/m³', declared)).toBeNull();
    expect(statedUnitProblem('http://qudt.org/vocab/unit/MicroGM-PER-M3', declared)).toBeNull();
    expect(statedUnitProblem({ symbol: 'µg/m³' }, declared)).toBeNull();
    expect(statedUnitProblem(undefined, declared)).toBeNull();
    expect(statedUnitProblem('ppb', null)).toBeNull();
    expect(statedUnitProblem('ppb', declared)).toBe(`unit "ppb" is not the datastream's unit ('µg/m³' / 'microgram per cubic metre' / 'http://qudt.org/vocab/unit/MicroGM-PER-M3')`);
    expect(statedUnitProblem({ symbol: 'ppb' }, { symbol: 'µg/m³' })).toBe(`unit {"symbol":"ppb"} is not the datastream's unit ('µg/m³')`);
  });
});
