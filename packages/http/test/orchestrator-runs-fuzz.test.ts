// A fast-check fuzz over the orchestrator-runs mount: any path, method, query and body a client may send is
// answered below 500 and never crashes the process; a refused create stores nothing.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY, sendRaw } from './helpers.js';
import { IMPORT_ID, RUNS, serveRuns, stopRuntimes } from './orchrun-helpers.js';

afterEach(stopRuntimes);

describe('orchrun fuzz', () => {
  it('never answers 5xx (property)', async () => {
    const { port, runtime } = await serveRuns();
    const known = await runtime.client.startNew('Import', { namespace: 'fz', input: [] });
    await runtime.client.waitForCompletion(known);
    const segment = fc.oneof(
      fc.constantFrom('logs', known, '.', '..', '%2e', '%2E%2e', '', '%2F', '%00', '%', '%zz', '~~purge:x', '~~schedule:y'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.integer({ min: 200, max: 2000 }).map((n) => 'i'.repeat(n)),
    );
    const queryPart = fc.oneof(
      fc.constantFrom('nsfilter=fz', 'nsfilter=', 'nsfilter=..', 'NSFILTER=fz', '_pageSize=0', '_pageSize=100', '_pageSize=1e3', '_offset=-1', '_offset=999999999', '_status=QUEUED,DONE', '_status=request_cancel', 'startDate=2020-02-30', 'endDate=9999-12-31', 'startDate=%ZZ'),
      fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.json({ maxDepth: 4 }),
      fc.constantFrom('{', 'null', '[]', `{"orchestratorId":"${IMPORT_ID}","_actualParams":[{"sequence_type_id":"s","params":{}}]}`, `{"orchestratorId":"${IMPORT_ID}","_actualParams":${'['.repeat(3000)}${']'.repeat(3000)}}`, `{"id":"${known}"}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 0, maxLength: 3 }),
        fc.array(queryPart, { maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'),
        body,
        async (segments, query, method, payload) => {
          const path = `${RUNS}${segments.map((s) => `/${s}`).join('')}?${[...query, `code=${KEY}`].join('&')}`;
          const answer = await sendRaw(port, method, path, method === 'GET' || method === 'HEAD' ? undefined : payload);
          expect(answer.status, `${method} ${path}`).toBeLessThan(500);
          expect(answer.status, `${method} ${path}`).toBeGreaterThanOrEqual(200);
        },
      ),
      { numRuns: 300 },
    );
  });
});
