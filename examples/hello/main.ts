// The README demo: a function chain with typed handles, a fan-out and a
// durable timer, on the embedded default storage: a SQLite file in the
// working directory. Kill it mid-run and start it again: nothing committed is lost.
import { createRuntime, defineActivity, defineOrchestrator } from '@reprise/core';
import { sqliteStorage } from '@reprise/sqlite';

const sayHello = defineActivity('SayHello', async (name: string) => `Hello ${name}!`);
const wordCount = defineActivity('WordCount', async (text: string) => text.split(/\s+/).length);

const helloCities = defineOrchestrator('HelloCities', function* (ctx) {
  const greetings: string[] = [];
  for (const city of ['Tokyo', 'Seattle', 'London']) {
    greetings.push(yield* ctx.callActivity(sayHello, city));
  }
  // Fan out, fan in.
  const counts = yield* ctx.all(greetings.map((g) => ctx.callActivity(wordCount, g)));
  // A durable timer: survives a restart, never fires early.
  yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 200));
  ctx.log.info('done waiting');
  return { greetings, words: counts.reduce((a, b) => a + b, 0) };
});

const runtime = createRuntime({
  storage: sqliteStorage({ path: 'reprise.db' }),
  activities: [sayHello, wordCount],
  orchestrators: [helloCities],
});

await runtime.start();
const id = await runtime.client.startNew(helloCities, { input: undefined });
const status = await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
console.log(`${status.runtimeStatus}:`, status.output);
await runtime.stop();
