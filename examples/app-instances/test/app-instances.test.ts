// The example end to end on a real SQLite file: launch, a deploy with progress, a scheduled deploy, the instance JSON.
import { expect, it } from 'vitest';
import { main } from '../src/main.js';

it('launches, runs a workflow with progress, schedules one and shows the instance', async () => {
  const lines: string[] = [];
  const final = await main((line) => lines.push(line));
  expect(lines[0]).toBe('launched site-1');
  expect(lines.some((l) => /^Executing: site\.CopyRelease Executing (25|50|75)%$/.test(l))).toBe(true);
  expect(lines.some((l) => /^scheduled site-1~s~/.test(l))).toBe(true);
  expect(final).toMatchObject({
    id: 'site-1',
    status: 'Running',
    parameters: { 'web.port': '80', 'web.domain': 'example.org' },
    returnValues: { url: 'http://example.org:80', release: 'v1.3.0', files: 2, deployedBy: null },
    environmentId: 'prod',
  });
  expect(final.workflowHistory.map((j) => [j.name, j.status, j.ownerId ?? null])).toEqual([
    ['launch', 'Succeeded', 'alice'],
    ['deploy', 'Succeeded', 'bob'],
    ['deploy', 'Succeeded', null],
  ]);
  expect(final.workflowHistory[1]!.steps).toEqual([{ name: 'site.CopyRelease', status: 'Succeeded', percentComplete: 100 }]);
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ id: 'site-1', status: 'Running' });
});
