/**
 * The stored @contexts service on an in-memory port: uses are written in batches and never lost,
 * documents are cached within bounds, and hosted context URLs are recognised under any base.
 */
import { describe, expect, it } from 'vitest';
import type { LdContextUse, StoredLdContext } from '../../src/domain/ld-context.js';
import { hostedContextId } from '../../src/ngsild/context/context-catalog.js';
import { storedContextService } from '../../src/services/ld-contexts/stored-contexts.js';
import type { LdContextStore } from '../../src/services/ports/ld-context-ports.js';

const ID = '0b7d6a3e-5c1f-4a7e-9d2b-3f4a5b6c7d8e';

/** The port in memory, counting the statements the service sends. */
function memoryStore() {
  const rows = new Map<string, StoredLdContext & { document: Record<string, unknown> }>();
  const calls = { recordUses: [] as LdContextUse[][], document: 0 };
  let failUses = false;
  const store: LdContextStore = {
    async insert({ id, kind, document }) {
      const row = { id, kind, document, createdAt: new Date().toISOString(), lastUsedAt: null, hits: 0 };
      rows.set(id, row);
      return row;
    },
    async byId(id) {
      const row = rows.get(id);
      return row ? { id: row.id, kind: row.kind, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, hits: row.hits } : null;
    },
    async document(id) {
      calls.document += 1;
      return rows.get(id)?.document ?? null;
    },
    async list() {
      return [...rows.values()];
    },
    async remove(id) {
      return rows.delete(id);
    },
    async recordUses(uses) {
      calls.recordUses.push([...uses]);
      if (failUses) throw new Error('database unavailable');
      for (const use of uses) {
        const row = rows.get(use.id);
        if (row) rows.set(use.id, { ...row, hits: row.hits + use.hits, lastUsedAt: use.at });
      }
    },
  };
  return { store, rows, calls, failing: (fail: boolean) => (failUses = fail) };
}

describe('stored @contexts', () => {
  it('writes uses in batches, and every use counted so far before counters are read', async () => {
    const memory = memoryStore();
    const service = storedContextService(memory.store, { flushIntervalMs: 60_000 });
    const { id } = await service.add({ A1: 'urn:a1' });
    for (let i = 0; i < 5; i++) service.used(id);
    await Promise.resolve();
    // The first use is written at once (nothing was written for a while), the rest wait for a read.
    expect(memory.calls.recordUses).toEqual([[{ id, hits: 1, at: expect.any(String) }]]);
    expect((await service.get(id))!.hits).toBe(5);
    expect(memory.calls.recordUses).toHaveLength(2);
    expect(memory.calls.recordUses[1]).toEqual([{ id, hits: 4, at: expect.any(String) }]);
    expect((await service.list(null))[0]!.hits).toBe(5);
    expect(memory.calls.recordUses).toHaveLength(2);
  });

  it('keeps the uses of a failed write and adds them to the next one', async () => {
    const memory = memoryStore();
    const service = storedContextService(memory.store, { flushIntervalMs: 0 });
    const { id } = await service.add({ A1: 'urn:a1' });
    memory.failing(true);
    service.used(id);
    await expect(service.get(id)).rejects.toThrow('database unavailable');
    memory.failing(false);
    service.used(id);
    expect((await service.get(id))!.hits).toBe(2);
  });

  it('forgets the uses of a deleted context', async () => {
    const memory = memoryStore();
    const service = storedContextService(memory.store, { flushIntervalMs: 60_000 });
    const { id } = await service.add({ A1: 'urn:a1' });
    service.used(id);
    service.used(id);
    expect(await service.remove(id)).toBe(true);
    expect(await service.list(null)).toEqual([]);
    expect(memory.calls.recordUses.flat().reduce((n, u) => n + u.hits, 0)).toBe(1);
  });

  it('caches documents up to its bounds and reads the rest again', async () => {
    const memory = memoryStore();
    const service = storedContextService(memory.store, { maxCachedDocuments: 2 });
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await service.add({ [`T${n}`]: `urn:t${n}` })).id);
    expect(await service.document(ids[2]!)).toEqual({ '@context': { T3: 'urn:t3' } });
    expect(await service.document(ids[1]!)).toEqual({ '@context': { T2: 'urn:t2' } });
    expect(memory.calls.document).toBe(0);
    expect(await service.document(ids[0]!)).toEqual({ '@context': { T1: 'urn:t1' } });
    expect(memory.calls.document).toBe(1);
    const large = storedContextService(memory.store, { maxCachedChars: 10 });
    await large.document(ids[0]!);
    await large.document(ids[0]!);
    expect(memory.calls.document).toBe(3);
  });

  it('answers ids no stored context can have without asking the store', async () => {
    const memory = memoryStore();
    const service = storedContextService(memory.store);
    expect(await service.get('wrong_id_context')).toBeNull();
    expect(await service.document('1234567890123456')).toBeUndefined();
    expect(await service.remove("'; DROP TABLE ngsi_ld_context; --")).toBe(false);
    expect(memory.calls.document).toBe(0);
  });
});

describe('hosted @context URLs', () => {
  it.each([
    [`http://127.0.0.1:8080/ngsi-ld/v1/jsonldContexts/${ID}`, ID],
    [`https://places.example.org/api/ngsi-ld/v1/jsonldContexts/${ID.toUpperCase()}`, ID],
    [`http://localhost:9090/ngsi-ld/v1/ngsi-ld/v1/jsonldContexts/${ID}`, ID],
    [`http://127.0.0.1:8080/ngsi-ld/v1/jsonldContexts/${ID}?x=1`, ID],
    [`http://127.0.0.1:8080/ngsi-ld/v1/jsonldContexts/${ID}/more`, null],
    [`http://127.0.0.1:8080/ngsi-ld/v1/jsonldContexts/not-an-id`, null],
    [`http://127.0.0.1:8080/other/jsonldContexts/${ID}`, null],
    ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld', null],
    [`/ngsi-ld/v1/jsonldContexts/${ID}`, null],
  ])('%s → %s', (url, id) => {
    expect(hostedContextId(url)).toBe(id);
  });
});
