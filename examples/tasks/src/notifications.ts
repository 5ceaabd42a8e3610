// Every notification the task manager sends: one definition per event, its payload checked by zod.
import { defineNotification, html } from '@herald/core';
import '@herald/email';
import { z } from 'zod';

const task = { taskId: z.string(), title: z.string().min(1) };

export const taskAssigned = defineNotification({
  type: 'task.assigned',
  schema: z.object({ ...task, assignedBy: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Task assigned to you',
      body: `${payload.assignedBy} assigned you "${payload.title}"`,
      url: `/tasks/${payload.taskId}`,
    }),
  },
  previews: { default: { taskId: 'T-1', title: 'Replace the pump seal', assignedBy: 'Olga' } },
});

export const taskUnassigned = defineNotification({
  type: 'task.unassigned',
  schema: z.object({ ...task, changedBy: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Task taken off your list',
      body: `${payload.changedBy} reassigned "${payload.title}"`,
      url: `/tasks/${payload.taskId}`,
    }),
  },
  previews: { default: { taskId: 'T-1', title: 'Replace the pump seal', changedBy: 'Olga' } },
});

export const statusLabels = { todo: 'To do', in_progress: 'In progress', done: 'Done' } as const;
export const taskStatus = z.enum(['todo', 'in_progress', 'done']);

export const taskStatusChanged = defineNotification({
  type: 'task.status-changed',
  schema: z.object({ ...task, status: taskStatus, changedBy: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `Status: ${statusLabels[payload.status]}`,
      body: `${payload.changedBy} moved "${payload.title}" to ${statusLabels[payload.status]}`,
      url: `/tasks/${payload.taskId}`,
    }),
  },
  previews: {
    started: { taskId: 'T-1', title: 'Replace the pump seal', status: 'in_progress', changedBy: 'Tara' },
    done: { taskId: 'T-1', title: 'Replace the pump seal', status: 'done', changedBy: 'Tara' },
  },
});

// Scheduled by the app one hour before the due time (`at`), cancelled when the due time moves or the task is done.
export const deadlineWarning = defineNotification({
  type: 'task.deadline-warning',
  schema: z.object({ ...task, dueAt: z.iso.datetime() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Due in one hour',
      body: `"${payload.title}" is due at ${payload.dueAt.slice(11, 16)} UTC`,
      url: `/tasks/${payload.taskId}`,
    }),
    email: ({ payload, recipient }) => ({
      subject: `Due in one hour: ${payload.title}`,
      html: html`<p>Hi ${recipient.name},</p><p><b>${payload.title}</b> is due at ${payload.dueAt} (UTC).</p>`,
      text: `Hi ${recipient.name}, "${payload.title}" is due at ${payload.dueAt} (UTC).`,
    }),
  },
  previews: { default: { taskId: 'T-1', title: 'Replace the pump seal', dueAt: '2026-06-10T15:00:00.000Z' } },
});

// The office's manual broadcast to every technician. Technicians may opt out of it…
export const broadcast = defineNotification({
  type: 'broadcast',
  schema: z.object({ message: z.string().min(1).max(500), sentBy: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `Office: ${payload.sentBy}`,
      body: payload.message,
      data: { priority: 'normal' },
    }),
  },
  previews: { default: { message: 'Van 3 is back in the yard', sentBy: 'Olga' } },
});

// … but not out of an urgent one: critical notifications bypass preferences.
export const urgentBroadcast = defineNotification({
  type: 'broadcast.urgent',
  schema: z.object({ message: z.string().min(1).max(500), sentBy: z.string() }),
  critical: true,
  channels: {
    inApp: ({ payload }) => ({
      title: `URGENT from ${payload.sentBy}`,
      body: payload.message,
      data: { priority: 'urgent' },
    }),
  },
  previews: { default: { message: 'Gas leak on Elm Street: stay away', sentBy: 'Olga' } },
});

export const notifications = [
  taskAssigned,
  taskUnassigned,
  taskStatusChanged,
  deadlineWarning,
  broadcast,
  urgentBroadcast,
] as const;
