// The ported chaining sample end to end: started over HTTP by its starter,
// followed through the check-status URLs to its output.
import { expect, it } from 'vitest';
import { startAndPoll, startApp } from '../src/app.js';

it('runs the ported sample: 202 with the management URLs, then the three greetings in order', async () => {
  const app = await startApp();
  try {
    const { started, final } = await startAndPoll(app.baseUrl, 'helloOrchestrator', '');
    expect(started.statusQueryGetUri).toBe(`${app.baseUrl}/runtime/webhooks/durabletask/instances/${started.id}?taskHub=default`);
    expect(final).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello, Tokyo', 'Hello, Seattle', 'Hello, Cairo'] });
    expect((await app.runtime.client.getLogs(started.id!)).map((l) => l.message)).toEqual(['Saying hello to Tokyo.', 'Saying hello to Seattle.', 'Saying hello to Cairo.']);
    const unknown = await fetch(`${app.baseUrl}/api/orchestrators/nope`, { method: 'POST' });
    expect(unknown.status).toBe(400);
  } finally {
    await app.close();
  }
});
