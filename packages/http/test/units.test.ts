// The small pure pieces: date and status parsing, the status-code rule, the error mapping, JSON output.
import { describe, expect, it } from 'vitest';
import { InstanceCompletedError, InvalidStateError, StorageError, UnknownEntityError, UnknownOrchestratorError } from '@reprise/core';
import { HttpError, toErrorReply } from '../src/errors.js';
import { parseDate, parseStatuses } from '../src/query.js';
import { statusCodeFor } from '../src/render.js';
import { toJson } from '../src/reply.js';
import { managementPayload } from '../src/urls.js';
import { createRouter } from '../src/router.js';

describe('parseDate', () => {
  it('reads ISO-8601 in UTC, with offsets, seven-digit fractions and a + turned into a space', () => {
    expect(parseDate('2019-11-13T09:30:00.000Z', 'd').toISOString()).toBe('2019-11-13T09:30:00.000Z');
    expect(parseDate('2019-12-24T12:39:43.1086943Z', 'd').toISOString()).toBe('2019-12-24T12:39:43.108Z');
    expect(parseDate('2019-11-13T09:30:00', 'd').toISOString()).toBe('2019-11-13T09:30:00.000Z');
    expect(parseDate('2019-11-13', 'd').toISOString()).toBe('2019-11-13T00:00:00.000Z');
    expect(parseDate('2019-11-13T10:30:00+01:00', 'd').toISOString()).toBe('2019-11-13T09:30:00.000Z');
    expect(parseDate('2019-11-13T10:30:00 01:00', 'd').toISOString()).toBe('2019-11-13T09:30:00.000Z');
    expect(parseDate('2019-11-13T05:00-0430', 'd').toISOString()).toBe('2019-11-13T09:30:00.000Z');
  });

  it('reads years 0000–0099 as written, not as 1900–1999 (issue 12, item 9)', () => {
    expect(parseDate('0001-01-01T00:00:00Z', 'd').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseDate('0099-12-31T23:59:59.999Z', 'd').toISOString()).toBe('0099-12-31T23:59:59.999Z');
    expect(parseDate('0000-01-01', 'd').toISOString()).toBe('0000-01-01T00:00:00.000Z');
    expect(parseDate('0050-06-15T12:00:00+02:00', 'd').toISOString()).toBe('0050-06-15T10:00:00.000Z');
    expect(parseDate('0004-02-29', 'd').toISOString()).toBe('0004-02-29T00:00:00.000Z');
    expect(() => parseDate('0001-02-29', 'd')).toThrow(HttpError);
    expect(parseDate('9999-12-31T23:59:59Z', 'd').toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'yesterday', '2019-02-29', '2019-13-01', '2019-11-13T24:00:00Z', '1573637400000', '13/11/2019', '2019-11-13T09:30:00Zjunk']) {
      expect(() => parseDate(bad, 'createdTimeFrom'), bad).toThrow(HttpError);
    }
  });
});

describe('parseStatuses', () => {
  it('reads a comma list case-insensitively, ignoring blanks and repeats', () => {
    expect(parseStatuses('running, Completed,,RUNNING', 's')).toEqual(['Running', 'Completed']);
    expect(() => parseStatuses('Running,Sleeping', 's')).toThrow(/Sleeping/);
  });
});

describe('statusCodeFor', () => {
  it('is 202 in progress, 200 terminal, 500 for Failed only when asked', () => {
    for (const s of ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'] as const) expect(statusCodeFor(s, true)).toBe(202);
    for (const s of ['Completed', 'Terminated', 'Canceled'] as const) expect(statusCodeFor(s, true)).toBe(200);
    expect(statusCodeFor('Failed', false)).toBe(200);
    expect(statusCodeFor('Failed', true)).toBe(500);
  });
});

describe('toErrorReply', () => {
  it('maps core codes, with INVALID_STATE 410 for rewind and 409 elsewhere', () => {
    expect(toErrorReply(new InvalidStateError('x'), 'rewind').status).toBe(410);
    expect(toErrorReply(new InvalidStateError('x')).status).toBe(409);
    expect(toErrorReply(new InstanceCompletedError('x')).status).toBe(410);
    expect(toErrorReply(new UnknownOrchestratorError('x')).status).toBe(400);
    expect(toErrorReply(new UnknownEntityError('x')).status).toBe(404);
    const storage = toErrorReply(new StorageError('disk on fire at /var/secret'));
    expect(storage.status).toBe(503);
    expect(storage.message).not.toContain('secret');
    expect(toErrorReply(new TypeError('internal detail'))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});

describe('toJson', () => {
  it('writes Dates as ISO strings and the superjson-only types plainly', () => {
    expect(toJson({ at: new Date(Date.UTC(2020, 0, 1)), n: 10n, m: new Map([['a', 1]]), k: new Map([[1, 2]]), s: new Set([1]) })).toBe(
      '{"at":"2020-01-01T00:00:00.000Z","n":"10","m":{"a":1},"k":[[1,2]],"s":[1]}',
    );
    expect(toJson(undefined)).toBe('null');
  });
});

describe('managementPayload', () => {
  it('leaves the placeholders literal and encodes everything else', () => {
    const p = managementPayload('http://h/runtime/webhooks/durabletask', 'a/b c', { taskHub: 'hub 1', code: 'k&=' });
    expect(p.statusQueryGetUri).toBe('http://h/runtime/webhooks/durabletask/instances/a%2Fb%20c?taskHub=hub%201&code=k%26%3D');
    expect(p.sendEventPostUri).toBe('http://h/runtime/webhooks/durabletask/instances/a%2Fb%20c/raiseEvent/{eventName}?taskHub=hub%201&code=k%26%3D');
    expect(managementPayload('http://h/x', 'id', {}).terminatePostUri).toBe('http://h/x/instances/id/terminate?reason={text}');
  });
});

describe('createRouter claims', () => {
  const op = async () => new Response('ok');
  const mounts = [
    { prefix: '/api', document: 'workflow-service' as const, claims: 'routes' as const, routes: [{ method: 'GET' as const, path: '/workflows/:id', operation: op }, { method: 'GET' as const, path: '/ping', operation: op }] },
    { prefix: '/api/orchestration', document: 'orchestration-api' as const, routes: [{ method: 'GET' as const, path: '/instances', operation: op }] },
  ];
  const router = createRouter(mounts);

  it('a shared prefix claims only the first segments of its own routes', () => {
    expect(router.match('/api/ping')).toMatchObject({ rest: '/ping' });
    expect(router.match('/api/workflows/w1')).toMatchObject({ rest: '/workflows/w1' });
    // The host app's paths under /api, even ill-formed ones, are not ours.
    expect(router.match('/api/users/')).toBeUndefined();
    expect(router.match('/api/users/%2e%2e/x')).toBeUndefined();
    expect(router.match('/api')).toBeUndefined();
    expect(router.match('/api/')).toBeUndefined();
  });

  it('answers bad paths under its own routes, and dot segments that resolve into them', () => {
    expect(router.match('/api/workflows/')).toMatchObject({ invalid: expect.any(String) });
    expect(router.match('/api/workflows/%2e')).toMatchObject({ invalid: expect.any(String) });
    expect(router.match('/api/users/../workflows/w1')).toMatchObject({ invalid: expect.any(String) });
  });

  it('a prefix of its own claims everything under it', () => {
    expect(router.match('/api/orchestration/nothing/here')).toBeUndefined();
    expect(router.match('/api/orchestration/instances/')).toMatchObject({ invalid: expect.any(String) });
    expect(router.match('/api/orchestration/x/')).toMatchObject({ invalid: expect.any(String) });
  });
});
