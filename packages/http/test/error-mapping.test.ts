// Errors from another installed copy of @reprise/core map to the same statuses: recognised by brand and code,
// where instanceof answered false and every 4xx became a 500.
import { describe, expect, it, vi } from 'vitest';
import * as core from '@reprise/core';
import { createHttpHandler } from '@reprise/http';
import { toErrorReply } from '../src/errors.js';
import { API, KEY, serveHandler, testApp } from './helpers.js';

/** A second, separately evaluated copy of core (and of memory, built on it), as two installed versions would be. */
async function secondCopy(): Promise<{ core: typeof core; memory: typeof import('@reprise/memory') }> {
  vi.resetModules();
  const copy = { core: await import('@reprise/core'), memory: await import('@reprise/memory') };
  vi.resetModules();
  expect(copy.core.InstanceNotFoundError).not.toBe(core.InstanceNotFoundError);
  return copy;
}

describe('toErrorReply with errors from another copy of core', () => {
  it('maps each by its code, as this copy’s own', async () => {
    const { core: other } = await secondCopy();
    const notFound = new other.InstanceNotFoundError("no instance 'x'");
    expect(notFound instanceof core.RepriseError).toBe(false);
    expect(toErrorReply(notFound)).toEqual({ status: 404, code: 'INSTANCE_NOT_FOUND', message: "no instance 'x'", headers: {} });
    expect(toErrorReply(new other.InstanceExistsError('taken')).status).toBe(409);
    expect(toErrorReply(new other.InvalidArgumentError('bad')).status).toBe(400);
    expect(toErrorReply(new other.InvalidStateError('still running'), 'rewind').status).toBe(410);
    const storage = toErrorReply(new other.StorageError('disk on fire at /var/secret'));
    expect(storage).toMatchObject({ status: 503, code: 'STORAGE' });
    expect(storage.message).not.toContain('secret');
  });

  it('maps a plain Error that carries the brand and a code', () => {
    const branded = Object.assign(new Error('payload too big'), { code: 'PAYLOAD_TOO_LARGE', [Symbol.for('reprise.error')]: true });
    expect(toErrorReply(branded)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'payload too big' });
  });

  it('answers 500, leaking nothing, for a code it does not know or an error without the brand', () => {
    const newer = Object.assign(new Error('from a newer core'), { code: 'SOMETHING_NEW', [Symbol.for('reprise.error')]: true });
    expect(toErrorReply(newer)).toEqual({ status: 500, code: 'SOMETHING_NEW', message: 'the server could not complete the request', headers: {} });
    const inherited = Object.assign(new Error('not ours'), { code: 'constructor', [Symbol.for('reprise.error')]: true });
    expect(toErrorReply(inherited).status).toBe(500);
    expect(toErrorReply(Object.assign(new Error('looks like one'), { code: 'INSTANCE_NOT_FOUND' }))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});

describe('the HTTP handler over a runtime from another copy of core', () => {
  it('answers its client errors with their 4xx over a real listener', async () => {
    const other = await secondCopy();
    const runtime = other.core.createRuntime({ storage: other.memory.memoryStorage(), logger: () => {}, ...testApp() });
    try {
      await runtime.start();
      const { base } = await serveHandler(createHttpHandler(runtime, { systemKey: KEY }));
      const post = (path: string) => fetch(`${base}${API}${path}${path.includes('?') ? '&' : '?'}code=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      const missing = await post('/instances/none/raiseEvent?eventName=Go');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: 'INSTANCE_NOT_FOUND' });
      expect((await post('/instances/startNew?orchestratorFunctionName=Nope')).status).toBe(400);
      expect((await post('/instances/startNew?orchestratorFunctionName=Wait&instanceId=twice')).status).toBe(200);
      expect((await post('/instances/startNew?orchestratorFunctionName=Wait&instanceId=twice')).status).toBe(409);
    } finally {
      await runtime.stop();
    }
  });
});
