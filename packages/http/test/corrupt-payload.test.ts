/**
 * A stored payload that is not JSON (or not superjson) was a 500 on every
 * read of its instance: core's client threw while decoding it. Core now
 * shows it as a `[not shown: …]` note, and so do both HTTP documents.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime } from '@reprise/core';
import { memoryStorage } from '@reprise/memory';
import { createHttpHandler } from '@reprise/http';
import { API, DF, KEY, serveHandler, testApp } from './helpers.js';

const k = `code=${KEY}`;
const NOT_JSON_NOTE = '[not shown: the stored value is not valid JSON]';
const NOT_DECODED_NOTE = '[not shown: the stored value cannot be decoded]';

async function serveCorrupt() {
  const storage = memoryStorage();
  const runtime = createRuntime({ storage, logger: () => {}, ...testApp() });
  const errors: unknown[] = [];
  const served = await serveHandler(createHttpHandler(runtime, { systemKey: KEY, onError: (error) => errors.push(error) }));
  await runtime.client.listInstances(); // opens the store
  const now = Date.now();
  for (const status of ['Completed', 'Failed'] as const) {
    const instanceId = `corrupt-${status.toLowerCase()}`;
    await storage.createInstance(
      runtime.taskHub,
      { instanceId, kind: 'orchestration', name: 'Echo', executionId: 'e', status, createdAt: now, updatedAt: now, historyLength: 0, input: 'not json{', output: 'not json{', customStatus: '{"json":1,"meta":{"values":["bogus"]}}' },
      { instanceId, event: { EventType: 'ExecutionStarted', Timestamp: new Date(now).toISOString(), Name: 'Echo', ExecutionId: 'e' } },
    );
  }
  return { ...served, runtime, errors };
}

describe('a corrupt stored payload', () => {
  it('reads 200 with a note over both documents, and the server keeps serving', async () => {
    const { base, errors } = await serveCorrupt();
    for (const id of ['corrupt-completed', 'corrupt-failed']) {
      for (const url of [`${base}${DF}/instances/${id}?${k}&showHistory=true&showHistoryOutput=true`, `${base}${API}/instances/${id}?${k}&showInput=true&showHistory=true`]) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        expect(await res.json(), url).toMatchObject({ instanceId: id, input: NOT_JSON_NOTE, output: NOT_JSON_NOTE, customStatus: NOT_DECODED_NOTE });
      }
    }
    for (const url of [`${base}${DF}/instances?${k}`, `${base}${DF}/instances?${k}&showHistory=true&showHistoryOutput=true`, `${base}${API}/instances?${k}&showInput=true`]) {
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const text = await res.text();
      expect(text, url).toContain(NOT_JSON_NOTE);
      expect(text, url).toContain(NOT_DECODED_NOTE);
    }
    // Still serving: a normal start and read on the same listener.
    const started = await fetch(`${base}${DF}/orchestrators/Echo/after?${k}`, { method: 'POST', body: '"fine"', headers: { 'content-type': 'application/json' } });
    expect(started.status).toBe(202);
    expect((await fetch(`${base}${DF}/instances/after?${k}`)).status).toBe(202);
    expect(errors).toEqual([]);
  });
});
