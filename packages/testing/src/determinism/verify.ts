/**
 * The two comparisons after a run: replaying each recorded history in fresh
 * executors (per episode, every action field compared, and the whole history
 * at once the way the runtime replays after a crash), and comparing a second
 * run of the same scenario with the first.
 */
import { isRepriseError } from '@reprise/core';
import type { OrchestratorFunction } from '@reprise/core';
import { Divergence } from './simulator.js';
import type { EpisodeRecord, InstanceTrace, RunContext, RunTrace } from './simulator.js';
import { sameActionView, sameOutcome, showAction, showEvent, showOutcome, viewAction, viewOutcome } from './views.js';

export function verifyReplay(rc: RunContext): Divergence | undefined {
  for (const instance of rc.trace.instances) {
    const fn = rc.registry.orchestrators.get(instance.name) as OrchestratorFunction;
    for (const [g, generation] of instance.generations.entries()) {
      const live = rc.newLive(instance.instanceId, fn, 2);
      // Episode by episode, the code asks patched() before its marker's episode is applied.
      live.executor.preview(generation.history);
      for (const [e, episode] of generation.episodes.entries()) {
        live.apply(episode.incoming, true);
        const actions = live.executor.takeNewActions().map(viewAction);
        for (let i = 0; i < Math.max(actions.length, episode.actions.length); i += 1) {
          if (!sameActionView(episode.actions[i], actions[i])) return new Divergence('replay', instance.instanceId, g, e, showAction(episode.actions[i]), showAction(actions[i]));
        }
        const outcome = viewOutcome(live.executor.outcome);
        if (!sameOutcome(episode.outcome, outcome)) return new Divergence('replay', instance.instanceId, g, e, showOutcome(episode.outcome), showOutcome(outcome), 'outcome');
      }
      // And the whole stored history at once, through the engine's own check.
      const whole = rc.newLive(instance.instanceId, fn, 3);
      whole.apply(generation.history, true);
      const { outcome } = whole.executor;
      if (outcome.status === 'failed' && isRepriseError(outcome.error, 'NONDETERMINISM')) {
        const { expected, actual, sequence } = outcome.error;
        // The episode that recorded the action the engine names.
        const at = generation.episodes.findIndex((ep) => ep.actions.some((a) => a.id === sequence));
        return new Divergence('replay', instance.instanceId, g, at, expected, actual);
      }
    }
  }
  return undefined;
}

export function compareRuns(first: RunTrace, second: RunTrace): Divergence | undefined {
  for (let i = 0; i < Math.max(first.instances.length, second.instances.length); i += 1) {
    const a = first.instances[i];
    const b = second.instances[i];
    if (!a || !b || a.instanceId !== b.instanceId || a.name !== b.name) {
      const some = (a ?? b)!;
      return new Divergence('rerun', some.instanceId, 0, 0, a ? `sub-orchestration '${a.instanceId}' (${a.name}) to run` : 'no further sub-orchestration', b ? `sub-orchestration '${b.instanceId}' (${b.name})` : 'none', 'event');
    }
    const found = compareInstance(a, b);
    if (found) return found;
  }
  return undefined;
}

function compareInstance(a: InstanceTrace, b: InstanceTrace): Divergence | undefined {
  for (let g = 0; g < Math.max(a.generations.length, b.generations.length); g += 1) {
    const ga = a.generations[g];
    const gb = b.generations[g];
    if (!ga || !gb) return new Divergence('rerun', a.instanceId, g, 0, ga ? `generation ${g + 1} (continueAsNew)` : `the instance to end: ${a.end}`, gb ? `generation ${g + 1} (continueAsNew)` : `the instance ended: ${b.end}`, 'outcome');
    for (let e = 0; e < Math.max(ga.episodes.length, gb.episodes.length); e += 1) {
      const ea = ga.episodes[e];
      const eb = gb.episodes[e];
      if (!ea || !eb) return new Divergence('rerun', a.instanceId, g, e, ea ? describeEpisode(ea) : `the run to end: ${a.end}`, eb ? describeEpisode(eb) : `the run ended: ${b.end}`, 'event');
      for (let i = 0; i < Math.max(ea.incoming.length, eb.incoming.length); i += 1) {
        const x = ea.incoming[i];
        const y = eb.incoming[i];
        if (JSON.stringify(x) !== JSON.stringify(y)) return new Divergence('rerun', a.instanceId, g, e, x ? `the code to receive ${showEvent(x)}` : 'no further event', y ? `${showEvent(y)} (the code waited for something else)` : 'no further event', 'event');
      }
      for (let i = 0; i < Math.max(ea.actions.length, eb.actions.length); i += 1) {
        if (!sameActionView(ea.actions[i], eb.actions[i])) return new Divergence('rerun', a.instanceId, g, e, showAction(ea.actions[i]), showAction(eb.actions[i]));
      }
      if (!sameOutcome(ea.outcome, eb.outcome)) return new Divergence('rerun', a.instanceId, g, e, showOutcome(ea.outcome), showOutcome(eb.outcome), 'outcome');
    }
  }
  return undefined;
}

function describeEpisode(episode: EpisodeRecord): string {
  return `an episode (${episode.notes.join('; ') || 'no events'})`;
}
