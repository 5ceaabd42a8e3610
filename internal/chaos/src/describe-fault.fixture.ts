// The matrix of one fault: for each runner, a scenario (every boundary × recovery path at once) and one test per
// case, each ending with the invariant. A table of what each case did is printed after each runner's cases.
import type { RedisServer } from '@herald/test-peers/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Boundary, boundaryNames, type NotifyOutcome, type Recovery } from './chaos.fixture';
import { type Fault, RECIPIENTS, type RunnerName, runFaultScenario, type Scenario } from './fault-scenario.fixture';
import { type Invariant, killChildren, readLogs, settledInvariant, startFaultyRedis } from './processes.fixture';

function describeOutcome(outcome: NotifyOutcome | 'killed' | undefined): string {
  if (outcome === undefined) return '—';
  if (outcome === 'killed') return 'killed';
  if (outcome.status === 'threw') return `threw ${outcome.code}`;
  return outcome.deduplicated ? 'deduplicated' : outcome.resumed ? 'resumed' : 'completed';
}

/**
 * `expectExactSends`: no process that runs deliveries is disturbed by this fault, so each pager message must go
 * out exactly once. Otherwise a send can be cut off between the provider accepting it and the record saying so,
 * and the channel may send it again (at-least-once); the duplicates are printed with who sent them.
 */
export function describeFault(fault: Fault, options: { expectExactSends: (runner: RunnerName) => boolean }): void {
  describe.each(['bullmq', 'in-process'] as const)(
    `notify() with the ${fault} at each step boundary, %s runner`,
    (runner) => {
      let server: RedisServer;
      let scenario: Scenario;
      const rows: string[] = [];
      let started = 0;

      beforeAll(async () => {
        started = Date.now();
        server = await startFaultyRedis();
        scenario = await runFaultScenario({ server, runner, fault });
      });

      afterAll(async () => {
        await scenario?.close();
        await killChildren();
        await server?.stop();
        console.log(
          [
            `${fault}, ${runner} runner, ${RECIPIENTS} recipients × 2 kinds per notification (${Math.round((Date.now() - started) / 1000)} s):`,
            ...rows,
          ].join('\n'),
        );
      });

      const combinations = (['retry', 'relay'] as const).flatMap((recovery) =>
        boundaryNames.map((boundary) => [boundary, recovery] as [Boundary, Recovery]),
      );
      it.each(combinations)(
        'stopped %s, completed by the %s: every recipient once, every delivery sent',
        async (boundary, recovery) => {
          const found = scenario.cases.find((each) => each.boundary === boundary && each.recovery === recovery);
          if (!found) throw new Error('no such case');
          const subject = scenario.subject(found);
          // The process that completes what stopped: another one after a SIGKILL, else the notifier itself.
          const recovering = fault === 'process killed' ? 'recoverer' : 'notifier';
          const retry = found.retry?.status === 'resolved' ? found.retry : undefined;

          // A fault during the claim: the first write either never happened (the process died first, Redis was down)
          // or timed out and applied when Redis woke. Applied, it is in the outbox like any other; not applied,
          // nothing was written, and a retry with the key notifies afresh.
          let isWritten = true;
          if (boundary === 'during the claim') {
            isWritten = (await subject.store.getNotification(found.notificationId)) !== undefined;
            expect(isWritten, 'the claim applied after its timeout').toBe(fault === 'redis-server stalled');
            if (found.first !== 'killed') {
              // Nothing says it is recorded, so a host must not count on a resume: the retry with the key does the right thing either way.
              expect(found.first, 'the first write threw').toMatchObject({
                code: 'STORE',
                isDispatchIncomplete: false,
              });
            }
          }
          if (!isWritten && recovery === 'relay') {
            // Nothing to complete, and nothing may appear: no key held, no record, no send.
            expect(await subject.store.getIdempotencyKey(found.idempotencyKey)).toBeUndefined();
            const logs = await readLogs(subject.provider, subject.runKey);
            const sent = [...(logs.get('pager')?.keys() ?? [])].filter((id) => id.startsWith(found.notificationId));
            rows.push(
              `  ${boundary.padEnd(21)} ${recovery.padEnd(6)} first: ${describeOutcome(found.first)}; nothing written, nothing to complete`,
            );
            expect(sent).toEqual([]);
            return;
          }
          const notificationId = isWritten ? found.notificationId : (retry?.id ?? '');
          const invariant: Invariant = await settledInvariant({ ...subject, notificationId });
          const { figures } = invariant;
          const said = JSON.stringify({ ...found, recipients: found.recipients.length, figures });
          rows.push(
            `  ${boundary.padEnd(21)} ${recovery.padEnd(6)} first: ${describeOutcome(found.first).padEnd(26)} ` +
              `retry: ${describeOutcome(found.retry).padEnd(13)} resumed by: ${figures.resumedBy.join(',') || '—'}; ` +
              `pager ${figures.pagerSends} sends, inApp ${figures.inAppShown} shown of ${figures.inAppCalls} calls; ` +
              `${figures.handOvers} hand-overs` +
              (figures.pagerDuplicates.length > 0
                ? `; pager duplicates: ${figures.pagerDuplicates.map((each) => `${each.deliveryId.slice(-9)} by ${each.senders.join('+')}`).join(', ')}`
                : '') +
              (isWritten ? '' : '; the claim never applied: the retry notified afresh') +
              (invariant.problems.length > 0 ? `; FAILED: ${invariant.problems.slice(0, 3).join('; ')}` : ''),
          );
          expect(invariant.problems, said).toEqual([]);

          const stopped = found.first === 'killed' || found.first.status === 'threw';
          if (found.first !== 'killed' && found.first.status === 'threw' && boundary !== 'during the claim') {
            // A store fault after the first write: the notification is in the outbox, and the error says which it is.
            expect(found.first, said).toMatchObject({ code: 'DISPATCH_INCOMPLETE', isDispatchIncomplete: true });
            expect(found.first.notificationId, said).toBe(found.notificationId);
          }
          if (recovery === 'retry') {
            expect(found.retry, said).toMatchObject({ status: 'resolved' });
            if (!isWritten) {
              expect(retry, said).toMatchObject({ resumed: false, deduplicated: false });
              expect(retry?.id, said).not.toBe(found.notificationId);
            } else {
              expect(retry?.id, said).toBe(found.notificationId);
              // The process died with the dispatch half done: only a resume can complete it. After a store fault
              // the dispatch may have been complete already (a timed-out write that applied): then it is a duplicate.
              if (found.first === 'killed') expect(retry, said).toMatchObject({ resumed: true, deduplicated: false });
              else if (!stopped) expect(retry, said).toMatchObject({ resumed: false, deduplicated: true });
              else expect(retry?.resumed !== retry?.deduplicated, said).toBe(true);
            }
            // No relay runs for this lane: only the retry resumed it.
            expect(figures.resumedBy, said).toEqual(retry?.resumed ? [recovering] : []);
          } else {
            // Only the relay resumed it (more than once if a pass met the fault still there), or nobody had to: a
            // notify that threw may have been complete all the same (a timed-out write that applied when Redis woke).
            if (found.first === 'killed') expect(figures.resumedBy.length, said).toBeGreaterThan(0);
            expect(
              figures.resumedBy.filter((role) => role !== recovering),
              said,
            ).toEqual([]);
          }
          if (options.expectExactSends(runner)) expect(figures.pagerDuplicates, said).toEqual([]);
          else if (fault === 'process killed') {
            // A message goes out twice only when the killed process sent it and died before its record said so.
            for (const duplicate of figures.pagerDuplicates) {
              expect(
                duplicate.senders.filter((role) => role !== 'notifier'),
                duplicate.deliveryId,
              ).toEqual([recovering]);
            }
          }
        },
      );
    },
  );
}
