// The task manager in Chromium, started with `npm start` on a test clock: deadline warnings an hour before the
// due time (moved with it, cancelled by done), a critical broadcast through an opt-out, pruning after 30 days.
import { fileURLToPath } from 'node:url';
import type { InboxItem } from '@herald/core';
import {
  apiAs,
  bellState,
  signIn,
  startApp,
  useChromium,
  useExampleApp,
  waitFor,
} from '@herald/test-peers/example-app';
import { testRedisUrl } from '@herald/test-peers/redis';
import { beforeAll, describe, expect, it } from 'vitest';

const minute = 60_000;
const day = 24 * 60 * minute;
// The README's picture is refreshed only when asked (HERALD_UPDATE_SCREENSHOTS=1), so a test run leaves the tree
// as it found it; otherwise the screenshot goes to the repository's .tmp/.
const screenshot = fileURLToPath(
  new URL(
    process.env.HERALD_UPDATE_SCREENSHOTS ? '../docs/screenshot.png' : '../../../.tmp/screenshots/tasks.png',
    import.meta.url,
  ),
);

type Api = Awaited<ReturnType<typeof apiAs>>;

describe('tasks app', () => {
  const tasks = useExampleApp('examples/tasks', { TASKS_TEST_CLOCK: '1' });
  let olga: Api;

  beforeAll(async () => {
    olga = await apiAs(tasks.app.url, 'olga');
  });

  const now = async (): Promise<number> => Date.parse((await olga<{ now: string }>('GET', '/api/me')).body.now);
  const advance = async (ms: number): Promise<void> => {
    expect((await olga('POST', '/api/test/clock', { advanceMs: ms })).status).toBe(200);
  };
  async function inbox(userId: string, type?: string): Promise<InboxItem[]> {
    const api = await apiAs(tasks.app.url, userId);
    const query = type ? `?type=${type}&limit=100` : '?limit=100';
    return (await api<{ items: InboxItem[] }>('GET', `/api/inbox/notifications${query}`)).body.items;
  }
  const warningsFor = async (userId: string, taskId: string): Promise<InboxItem[]> =>
    (await inbox(userId, 'task.deadline-warning')).filter((item) => item.url === `/tasks/${taskId}`);
  async function createTask(title: string, assigneeId: string, dueInMs: number): Promise<string> {
    const dueAt = new Date((await now()) + dueInMs).toISOString();
    const response = await olga<{ task: { id: string } }>('POST', '/api/tasks', { title, assigneeId, dueAt });
    expect(response.status).toBe(201);
    return response.body.task.id;
  }

  it('warns one hour before the due time: a task due in 61 minutes gets its warning at minute 1, not before', async () => {
    const tara = await tasks.open('tara');
    const taskId = await createTask('Replace the pump seal', 'tara', 61 * minute);
    await waitFor(tara, 'the assignment in the bell', async () => (await bellState(tara)).badge === '1');

    await advance(59_000);
    expect(await warningsFor('tara', taskId)).toEqual([]);

    await advance(1_000); // 60 minutes before the due time
    await waitFor(tara, 'the warning in the bell', async () => (await bellState(tara)).badge === '2');
    const [warning] = await warningsFor('tara', taskId);
    expect(warning?.title).toBe('Due in one hour');
    expect(warning?.body).toContain('Replace the pump seal');
    // The email half of the warning, as the developer page shows what the local SMTP sink received.
    await waitFor(undefined, 'the warning email on /dev', async () => {
      const { body } = await olga<{ messages: { to: string[]; subject: string }[] }>('GET', '/dev/api/mail');
      return body.messages.some(
        (mail) => mail.subject === 'Due in one hour: Replace the pump seal' && mail.to.includes('tara@tasks.example'),
      );
    });
    // Shown in the open tab, so the client acknowledged it: delivered, not yet read.
    await waitFor(
      tara,
      'the warning acknowledged',
      async () => (await warningsFor('tara', taskId))[0]?.deliveredAt !== undefined,
    );

    // The inbox panel open over the board: the README's screenshot.
    await waitFor(
      tara,
      'the task on her board',
      async () => (await tara.locator(`tr[data-task="${taskId}"]`).count()) === 1,
    );
    await tara.locator('herald-inbox').locator('.bell').click();
    await waitFor(tara, 'the panel to list both', async () => (await bellState(tara)).items.length === 2);
    await tara.screenshot({ path: screenshot });
  });

  it('moves the warning with the due time, and the old one never comes', async () => {
    const taskId = await createTask('Inspect boiler 7', 'tom', 3 * 60 * minute);
    // Olga moves it forward by half an hour in her board's due-time field.
    const office = await tasks.open('olga');
    const due = office.locator(`tr[data-task="${taskId}"] input[data-field="dueAt"]`);
    await waitFor(office, 'the task on the board', async () => (await due.count()) === 1);
    const movedTo = new Date((await now()) + 150 * minute).toISOString().slice(0, 16);
    await due.fill(movedTo);
    await due.dispatchEvent('change');
    await waitFor(undefined, 'the new due time', async () => {
      const { body } = await olga<{ tasks: { id: string; dueAt?: string }[] }>('GET', '/api/tasks');
      return body.tasks.find((task) => task.id === taskId)?.dueAt?.slice(0, 16) === movedTo;
    });

    await advance(89 * minute);
    expect(await warningsFor('tom', taskId)).toEqual([]);
    await advance(1 * minute); // 60 minutes before the new due time
    await waitFor(undefined, 'the moved warning', async () => (await warningsFor('tom', taskId)).length === 1);
    await advance(60 * minute); // past where the old warning was due
    expect(await warningsFor('tom', taskId)).toHaveLength(1);
  });

  it('cancels the warning when the task is done', async () => {
    const taskId = await createTask('Fix the gate sensor', 'tina', 2 * 60 * minute);
    const tina = await tasks.open('tina');
    const status = tina.locator(`tr[data-task="${taskId}"] select[data-field="status"]`);
    await waitFor(tina, 'her task on the board', async () => (await status.count()) === 1);
    await status.selectOption('done');
    // Olga created the task, so she hears it is done; Tina made the change, so she does not.
    await waitFor(undefined, 'the status change', async () =>
      (await inbox('olga', 'task.status-changed')).some((item) => item.url === `/tasks/${taskId}`),
    );
    expect((await inbox('tina', 'task.status-changed')).some((item) => item.url === `/tasks/${taskId}`)).toBe(false);

    await advance(3 * 60 * minute);
    expect(await warningsFor('tina', taskId)).toEqual([]);
  });

  it('delivers a critical broadcast to a technician who opted out of broadcasts; a normal one skips them', async () => {
    const tom = await tasks.open('tom');
    const optOut = tom.locator('#broadcast-opt-out');
    await optOut.check();
    await waitFor(tom, 'the opt-out stored', async () => {
      const api = await apiAs(tasks.app.url, 'tom');
      const { body } = await api<{ types: Record<string, Record<string, boolean>> }>('GET', '/api/inbox/preferences');
      return body.types.broadcast?.inApp === false;
    });

    const office = await tasks.open('olga');
    const form = office.locator('#broadcast');
    await form.locator('input[name=message]').fill('Van 3 is back in the yard');
    await form.locator('button').click();
    await waitFor(undefined, 'the normal broadcast at Tara', async () =>
      (await inbox('tara', 'broadcast')).some((item) => item.body === 'Van 3 is back in the yard'),
    );
    expect(await inbox('tom', 'broadcast')).toEqual([]);

    await form.locator('input[name=message]').fill('Gas leak on Elm Street: stay away');
    await form.locator('select[name=priority]').selectOption('urgent');
    await form.locator('button').click();
    await tom.locator('herald-inbox').locator('.bell').click();
    await waitFor(tom, 'the urgent broadcast in his bell', async () =>
      (await bellState(tom)).items.some((text) => text.includes('Gas leak on Elm Street')),
    );
    expect((await bellState(tom)).items.filter((text) => text.includes('Van 3'))).toEqual([]);
    const [urgent] = await inbox('tom', 'broadcast.urgent');
    expect(urgent?.title).toBe('URGENT from Olga');
  });

  it('prunes read items older than 30 days on its daily schedule, and nothing else', async () => {
    const sendBroadcast = async (message: string): Promise<void> => {
      expect((await olga('POST', '/api/broadcasts', { message, priority: 'normal' })).status).toBe(201);
    };
    const tina = await apiAs(tasks.app.url, 'tina');
    const readAll = async (body: string): Promise<void> => {
      const [item] = (await inbox('tina')).filter((candidate) => candidate.body === body);
      expect((await tina('POST', `/api/inbox/notifications/${item?.id}/read`, {})).status).toBe(200);
    };
    await sendBroadcast('Old and read');
    await sendBroadcast('Old and unread');
    await readAll('Old and read');
    await advance(20 * day);
    await sendBroadcast('Recent and read');
    await readAll('Recent and read');
    const everyoneBefore = { tara: (await inbox('tara')).length, tom: (await inbox('tom')).length };

    await advance(12 * day); // the daily prune runs 12 more times
    const left = (await inbox('tina')).map((item) => item.body);
    expect(left).toContain('Old and unread');
    expect(left).toContain('Recent and read');
    expect(left).not.toContain('Old and read');
    // Tara and Tom read nothing of these: all of theirs stay.
    expect((await inbox('tara')).length).toBe(everyoneBefore.tara);
    expect((await inbox('tom')).length).toBe(everyoneBefore.tom);
    expect(tasks.app.output()).toMatch(/pruned \d+ read notifications older than 30 days/);
  });

  it('gives an offline technician everything on reconnect, once each, and tracks delivered and read', async () => {
    const { context, page } = await tasks.openContext('tina');
    // What an earlier test assigned her reaches this new session first; its acks must be in before the network
    // goes, or they are lost with it (and rightly sent again on the next connection) and would count as waiting.
    await waitFor(page, 'her earlier assignments acknowledged', async () =>
      (await inbox('tina', 'task.assigned')).every((item) => item.deliveredAt !== undefined),
    );
    const tasksBefore = (await inbox('tina', 'task.assigned')).length;
    await context.setOffline(true);
    await waitFor(page, 'the bell to go offline', async () => (await bellState(page)).connection !== 'online');
    const first = await createTask('Offline job A', 'tina', 5 * 60 * minute);
    const second = await createTask('Offline job B', 'tina', 5 * 60 * minute);
    const waiting = (await inbox('tina', 'task.assigned')).filter((item) => item.deliveredAt === undefined);
    expect(waiting.map((item) => item.url).sort()).toEqual([`/tasks/${first}`, `/tasks/${second}`]);

    await context.setOffline(false);
    await page.locator('herald-inbox').locator('.bell').click();
    await waitFor(page, 'both jobs in the panel', async () => {
      const { items } = await bellState(page);
      return (
        items.some((text) => text.includes('Offline job A')) && items.some((text) => text.includes('Offline job B'))
      );
    });
    const shown = (await bellState(page)).items;
    expect(shown.filter((text) => text.includes('Offline job A'))).toHaveLength(1);
    expect(shown.filter((text) => text.includes('Offline job B'))).toHaveLength(1);
    await waitFor(page, 'both acknowledged as delivered', async () =>
      (await inbox('tina', 'task.assigned')).every((item) => item.deliveredAt !== undefined),
    );
    expect((await inbox('tina', 'task.assigned')).length).toBe(tasksBefore + 2);

    // Reading one in the panel: the office's tracking view says read for it, delivered for the other.
    await page
      .locator('herald-inbox')
      .locator('li.item', { hasText: 'Offline job A' })
      .locator('.action[data-action="read"]')
      .click();
    await waitFor(undefined, 'the read state in the tracking view', async () => {
      const { body } = await olga<{ technicians: { user: { id: string }; items: InboxItem[] }[] }>(
        'GET',
        '/api/tracking',
      );
      const items = body.technicians.find((row) => row.user.id === 'tina')?.items ?? [];
      const stateOf = (taskId: string) => items.find((item) => item.url === `/tasks/${taskId}`);
      return (
        stateOf(first)?.readAt !== undefined &&
        stateOf(second)?.readAt === undefined &&
        stateOf(second)?.deliveredAt !== undefined
      );
    });
  });

  it('previews every definition × channel on /dev from the samples declared with it', async () => {
    const page = await fetch(`${tasks.app.url}/dev`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('task.deadline-warning');
    const { body } = await olga<{
      previews: { type: string; name: string; issues?: unknown[]; channels: { kind: string; status: string }[] }[];
    }>('GET', '/dev/api/previews');
    expect(body.previews.map((preview) => preview.type)).toEqual([
      'task.assigned',
      'task.unassigned',
      'task.status-changed',
      'task.status-changed',
      'task.deadline-warning',
      'broadcast',
      'broadcast.urgent',
    ]);
    for (const preview of body.previews) {
      expect(preview.issues).toBeUndefined();
      expect(preview.channels.every((channel) => channel.status === 'rendered')).toBe(true);
    }
    const warning = body.previews.find((preview) => preview.type === 'task.deadline-warning');
    expect(warning?.channels.map((channel) => channel.kind)).toEqual(['inApp', 'email']);
  });

  it('refuses a task without a title with the field named, and creates nothing', async () => {
    const before = (await olga<{ tasks: unknown[] }>('GET', '/api/tasks')).body.tasks.length;
    const response = await olga<{ error: string; issues: { path: string }[] }>('POST', '/api/tasks', {
      title: '',
      assigneeId: 'tara',
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('VALIDATION');
    expect(response.body.issues.map((issue) => issue.path)).toEqual(['title']);
    expect((await olga<{ tasks: unknown[] }>('GET', '/api/tasks')).body.tasks.length).toBe(before);
  });
});

describe('the README commands', () => {
  const chromium = useChromium();

  it('npm start --workspace examples/tasks serves the page on MemoryStore', async () => {
    const app = await startApp('examples/tasks');
    try {
      expect(app.output()).toContain('(MemoryStore + in-process runner)');
      const signInPage = await fetch(app.url);
      expect(signInPage.status).toBe(200);
      expect(await signInPage.text()).toContain('Sign in as');
      const { context, page } = await signIn(chromium.browser, app.url, 'tara');
      expect(await page.title()).toBe('Field tasks — Tara');
      await context.close();
    } finally {
      await app.stop();
    }
  });

  it('REDIS_URL=… npm start runs on RedisStore + BullMQ with a worker process that delivers', async () => {
    const app = await startApp('examples/tasks', { REDIS_URL: testRedisUrl() });
    try {
      expect(app.output()).toContain('(RedisStore + BullMQ, worker process started)');
      await waitFor(undefined, 'the worker to start', () => app.output().includes('Field tasks worker'));
      const { context, page } = await signIn(chromium.browser, app.url, 'tara');
      const olga = await apiAs(app.url, 'olga');
      expect((await olga('POST', '/api/tasks', { title: 'Check the worker', assigneeId: 'tara' })).status).toBe(201);
      // The item reaches her socket from the worker, through Redis.
      await waitFor(page, 'the assignment in her bell', async () => (await bellState(page)).badge === '1');
      await context.close();
    } finally {
      await app.stop();
    }
  });
});
