// A DAG workflow: extract two sources in parallel, join them, then load and
// report in parallel. Each activity gets `{ input, results }`; LOAD reports
// its progress row by row and is retried with durable backoff.
import { defineActivity, defineWorkflow } from '@reprise/core';
import type { Step, WorkflowTaskInput } from '@reprise/core';

export interface EtlInput {
  day: string;
}

type Row = { id: number; name: string; total?: number };

const extractCustomers = defineActivity('etl.ExtractCustomers', async ({ input }: WorkflowTaskInput<EtlInput>, actx): Promise<Row[]> => {
  actx.log.info('reading customers for', input.day);
  return [
    { id: 1, name: 'ann' },
    { id: 2, name: 'bo' },
    { id: 3, name: 'cy' },
  ];
});

const extractOrders = defineActivity('etl.ExtractOrders', async ({ input }: WorkflowTaskInput<EtlInput>) => [
  { customerId: 1, amount: 20, day: input.day },
  { customerId: 1, amount: 5, day: input.day },
  { customerId: 3, amount: 12, day: input.day },
]);

const join = defineActivity('etl.Join', async ({ results }: WorkflowTaskInput): Promise<Row[]> => {
  const customers = results.CUSTOMERS as Row[];
  const orders = results.ORDERS as Array<{ customerId: number; amount: number }>;
  return customers.map((c) => ({ ...c, total: orders.filter((o) => o.customerId === c.id).reduce((sum, o) => sum + o.amount, 0) }));
});

const load = defineActivity('etl.Load', async ({ results }: WorkflowTaskInput, actx) => {
  const rows = results.JOIN as Row[];
  for (const [i, row] of rows.entries()) {
    actx.log.info('loading', row.name);
    await actx.reportProgress(Math.round(((i + 1) / rows.length) * 100), `loaded ${i + 1} of ${rows.length} rows`);
  }
  return rows.length;
});

const report = defineActivity('etl.Report', async ({ input, results }: WorkflowTaskInput<EtlInput>) => {
  const rows = results.JOIN as Row[];
  return `${input.day}: ${rows.filter((r) => (r.total ?? 0) > 0).length} of ${rows.length} customers ordered`;
});

export const dailyEtl = defineWorkflow<EtlInput>('etl.Daily', {
  tasks: {
    CUSTOMERS: { activity: extractCustomers },
    ORDERS: { activity: extractOrders },
    JOIN: { activity: join, after: ['CUSTOMERS', 'ORDERS'] },
    LOAD: { activity: load, after: ['JOIN'], retry: { firstRetryIntervalInMilliseconds: 200, maxNumberOfAttempts: 3 } },
    REPORT: { activity: report, after: ['JOIN'] },
  },
});

export const registry = {
  orchestrators: [dailyEtl],
  activities: [extractCustomers, extractOrders, join, load, report],
};

/** One line per step: sequence, name, status, what it waited for, progress. */
export function formatSteps(steps: readonly Step[]): string[] {
  return steps.map((s) => {
    const progress = s.progress ? ` ${s.progress.percent}% (${s.progress.message ?? ''})` : '';
    return `#${s.sequence} ${s.name.padEnd(22)} ${s.status.padEnd(9)} after [${s.previous.join(', ')}]${progress}`;
  });
}
