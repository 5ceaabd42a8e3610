// BullMQ hands a worker one job at a time (per concurrency slot); the executor prefers batches (one store
// read per group, a channel's sendBatch). Jobs that arrive in the same turn of the event loop are grouped.

import type { DeliveryExecutor, DeliveryTask, TaskOutcome } from '@herald/core/spec';

interface Waiting {
  task: DeliveryTask;
  resolve: (outcome: TaskOutcome) => void;
  reject: (error: unknown) => void;
}

export interface TaskBatcher {
  run(task: DeliveryTask): Promise<TaskOutcome>;
}

export function createTaskBatcher(executor: DeliveryExecutor, batchSize: number): TaskBatcher {
  const size = Math.max(1, Math.floor(batchSize));
  let pending: Waiting[] = [];
  let scheduled = false;

  async function execute(group: Waiting[]): Promise<void> {
    try {
      const outcomes = await executor.execute(group.map((entry) => entry.task));
      group.forEach((entry, index) => {
        const outcome = outcomes[index];
        if (outcome) entry.resolve(outcome);
        else entry.reject(new Error('The delivery executor returned no outcome for this task'));
      });
    } catch (error) {
      for (const entry of group) entry.reject(error);
    }
  }

  function flush(): void {
    scheduled = false;
    while (pending.length > 0) {
      const group = pending.length <= size ? pending : pending.slice(0, size);
      pending = pending.length <= size ? [] : pending.slice(size);
      void execute(group);
    }
  }

  return {
    run(task) {
      return new Promise<TaskOutcome>((resolve, reject) => {
        pending.push({ task, resolve, reject });
        if (pending.length >= size) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
