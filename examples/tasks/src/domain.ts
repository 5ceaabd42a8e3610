// The task manager itself: its people, its tasks, and what each change notifies. Kept in memory — the app is
// about notifications, not persistence.
import type { Clock, Herald } from '@herald/core';
import { z } from 'zod';
import {
  broadcast,
  deadlineWarning,
  taskAssigned,
  taskStatus,
  taskStatusChanged,
  taskUnassigned,
  urgentBroadcast,
} from './notifications';

export interface User {
  id: string;
  name: string;
  email: string;
  role: 'office' | 'technician';
}

export const users: User[] = [
  { id: 'olga', name: 'Olga', email: 'olga@tasks.example', role: 'office' },
  { id: 'omar', name: 'Omar', email: 'omar@tasks.example', role: 'office' },
  { id: 'tara', name: 'Tara', email: 'tara@tasks.example', role: 'technician' },
  { id: 'tom', name: 'Tom', email: 'tom@tasks.example', role: 'technician' },
  { id: 'tina', name: 'Tina', email: 'tina@tasks.example', role: 'technician' },
];

export const technicians = (): User[] => users.filter((user) => user.role === 'technician');

export interface Task {
  id: string;
  title: string;
  assigneeId: string | undefined;
  status: z.infer<typeof taskStatus>;
  /** ISO 8601. */
  dueAt: string | undefined;
  createdBy: string;
}

const userId = z.string().refine((id) => users.some((user) => user.id === id), 'Unknown user');
export const newTaskInput = z.object({
  title: z.string().trim().min(1).max(200),
  assigneeId: userId.optional(),
  dueAt: z.iso.datetime().optional(),
});
export const taskChangeInput = z.object({
  title: z.string().trim().min(1).max(200).optional(),
  assigneeId: userId.nullable().optional(),
  status: taskStatus.optional(),
  dueAt: z.iso.datetime().nullable().optional(),
});
export const broadcastInput = z.object({
  message: z.string().trim().min(1).max(500),
  priority: z.enum(['normal', 'urgent']),
});

const warnBeforeMs = 60 * 60_000;

export function createTaskBoard(herald: Herald, clock: Clock) {
  const tasks = new Map<string, Task>();
  /** Each task's scheduled warning, by idempotency key: `herald.cancel(key)` withdraws it. */
  const warnings = new Map<string, string>();
  let sequence = 0;
  let warningSequence = 0;
  const nameOf = (id: string): string => users.find((user) => user.id === id)?.name ?? id;

  /** Schedules the warning one hour before the due time (at once when that is already past). */
  async function scheduleWarning(task: Task): Promise<void> {
    if (!task.dueAt || !task.assigneeId || task.status === 'done') return;
    warningSequence += 1;
    const key = `task:${task.id}:deadline:${warningSequence}`;
    warnings.set(task.id, key);
    const warnAt = Date.parse(task.dueAt) - warnBeforeMs;
    await herald.notify(deadlineWarning, {
      to: task.assigneeId,
      payload: { taskId: task.id, title: task.title, dueAt: task.dueAt },
      idempotencyKey: key,
      delayMs: Math.max(0, warnAt - clock.now()),
    });
  }

  async function cancelWarning(task: Task): Promise<void> {
    const key = warnings.get(task.id);
    if (key === undefined) return;
    warnings.delete(task.id);
    await herald.cancel(key);
  }

  return {
    list: (): Task[] => [...tasks.values()],
    get: (id: string): Task | undefined => tasks.get(id),

    async create(actorId: string, input: z.infer<typeof newTaskInput>): Promise<Task> {
      sequence += 1;
      const task: Task = {
        id: `T-${sequence}`,
        title: input.title,
        assigneeId: input.assigneeId,
        status: 'todo',
        dueAt: input.dueAt === undefined ? undefined : new Date(input.dueAt).toISOString(),
        createdBy: actorId,
      };
      tasks.set(task.id, task);
      if (task.assigneeId) {
        await herald.notify(taskAssigned, {
          to: task.assigneeId,
          actor: actorId,
          payload: { taskId: task.id, title: task.title, assignedBy: nameOf(actorId) },
        });
      }
      await scheduleWarning(task);
      return task;
    },

    async change(actorId: string, task: Task, input: z.infer<typeof taskChangeInput>): Promise<Task> {
      const before = { ...task };
      const next: Task = {
        ...task,
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.assigneeId === undefined ? {} : { assigneeId: input.assigneeId ?? undefined }),
        ...(input.status === undefined ? {} : { status: input.status }),
        ...(input.dueAt === undefined
          ? {}
          : { dueAt: input.dueAt === null ? undefined : new Date(input.dueAt).toISOString() }),
      };
      tasks.set(task.id, next);
      const payload = { taskId: next.id, title: next.title };

      if (next.assigneeId !== before.assigneeId) {
        if (before.assigneeId) {
          await herald.notify(taskUnassigned, {
            to: before.assigneeId,
            actor: actorId,
            payload: { ...payload, changedBy: nameOf(actorId) },
          });
        }
        if (next.assigneeId) {
          await herald.notify(taskAssigned, {
            to: next.assigneeId,
            actor: actorId,
            payload: { ...payload, assignedBy: nameOf(actorId) },
          });
        }
      }
      if (next.status !== before.status) {
        // The assignee and whoever created the task hear of it; Herald leaves out the one who made the change.
        const to = [...new Set([next.assigneeId, next.createdBy].filter((id): id is string => id !== undefined))];
        await herald.notify(taskStatusChanged, {
          to,
          actor: actorId,
          payload: { ...payload, status: next.status, changedBy: nameOf(actorId) },
        });
      }
      // A new due time or assignee moves the warning; done cancels it (and reopening schedules it again).
      const warningChanged =
        next.dueAt !== before.dueAt ||
        next.assigneeId !== before.assigneeId ||
        (next.status === 'done') !== (before.status === 'done');
      if (warningChanged) {
        await cancelWarning(before);
        await scheduleWarning(next);
      }
      return next;
    },

    /** Every technician; an urgent broadcast is critical, so it reaches those who opted out of broadcasts. */
    async broadcast(actorId: string, input: z.infer<typeof broadcastInput>) {
      const definition = input.priority === 'urgent' ? urgentBroadcast : broadcast;
      const result = await herald.notify(definition, {
        to: technicians().map((user) => user.id),
        actor: actorId,
        payload: { message: input.message, sentBy: nameOf(actorId) },
      });
      return result.settled;
    },
  };
}

export type TaskBoard = ReturnType<typeof createTaskBoard>;
