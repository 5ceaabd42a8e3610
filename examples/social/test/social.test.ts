// The social network in Chromium, started with `npm start`: a community post pushed to every device of 150
// followers in sendEach batches (the actor left out, a member without devices skipped), a dead token removed, and
// 20 reactions to one post digested into one notification.
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

// The README's picture is refreshed only when asked (HERALD_UPDATE_SCREENSHOTS=1), so a test run leaves the tree
// as it found it; otherwise the screenshot goes to the repository's .tmp/.
const screenshot = fileURLToPath(
  new URL(
    process.env.HERALD_UPDATE_SCREENSHOTS ? '../docs/screenshot.png' : '../../../.tmp/screenshots/social.png',
    import.meta.url,
  ),
);

/** A push as the developer page lists what the FCM stand-in received. */
interface PushMessage {
  token: string;
  title?: string;
  body?: string;
  data?: Record<string, string>;
}
interface LogEntry {
  type: string;
  notificationId: string;
  recipients: number;
  excluded: string[];
  report: {
    sent: number;
    skipped: number;
    failed: number;
    skips: { recipientId: string; kind: string; code: string; reason: string }[];
  };
}
interface Log {
  notifications: LogEntry[];
  pushBatches: { recipients: number; messages: number; sendEachCalls: number }[];
  removedDevices: { userId: string; token: string; reason: string }[];
}

/** The seeded devices: runner n has ((n - 1) mod 3) + 1 phones. */
const fanTokens = Array.from({ length: 150 }, (_, index) => {
  const id = `fan-${String(index + 1).padStart(3, '0')}`;
  return Array.from({ length: (index % 3) + 1 }, (_, n) => `tok-${id}-${n + 1}`);
}).flat();

type Api = Awaited<ReturnType<typeof apiAs>>;

describe('social app', () => {
  const social = useExampleApp('examples/social', { SOCIAL_TEST_CLOCK: '1' });
  let ana: Api;

  beforeAll(async () => {
    ana = await apiAs(social.app.url, 'ana');
  });

  const pushes = async (): Promise<PushMessage[]> =>
    (await ana<{ messages: PushMessage[] }>('GET', '/dev/api/push')).body.messages;
  const log = async (): Promise<Log> => (await ana<Log>('GET', '/api/log')).body;
  async function inbox(userId: string, type: string): Promise<InboxItem[]> {
    const api = await apiAs(social.app.url, userId);
    return (await api<{ items: InboxItem[] }>('GET', `/api/inbox/notifications?type=${type}&limit=100`)).body.items;
  }

  it('pushes a community post to every device of 150 followers once, in sendEach batches; the actor gets nothing', async () => {
    const fan = await social.open('fan-002');
    const response = await ana<{ notificationId: string }>('POST', '/api/communities/trail-runners/posts', {
      text: 'Sunday long run, 7am at the lake',
    });
    expect(response.status).toBe(201);
    // Every device of the 150 runners, and Ben's; the phone that uninstalled the app is tried and refused by FCM.
    const expected = [...fanTokens, 'tok-ben-1'];
    const live = expected.filter((token) => token !== 'tok-fan-008-2');
    await waitFor(undefined, 'a push per device', async () => (await pushes()).length >= live.length);

    const sent = await pushes();
    // One push per device, each device once.
    expect(sent.map((message) => message.token).sort()).toEqual(live.sort());
    expect(sent.every((message) => message.title === 'Ana in Trail runners')).toBe(true);
    expect(sent.some((message) => message.token.startsWith('tok-ana-'))).toBe(false);

    const { notifications, pushBatches } = await log();
    const entry = notifications.find((candidate) => candidate.notificationId === response.body.notificationId);
    expect(entry?.excluded).toEqual(['ana']);
    expect(entry?.recipients).toBe(152); // 150 runners, Ben and Dev
    // Sent in batches of recipients, each batch at most 500 messages (one sendEach call per 500).
    expect(pushBatches.reduce((sum, batch) => sum + batch.messages, 0)).toBe(expected.length);
    expect(pushBatches.length).toBeLessThan(152);
    for (const batch of pushBatches) expect(batch.sendEachCalls).toBe(Math.ceil(batch.messages / 500));
    // Dev has no phone: his push is skipped, saying why; his in-app item is stored all the same.
    await waitFor(undefined, 'the report to settle', async () => {
      const report = (await log()).notifications.find(
        (candidate) => candidate.notificationId === response.body.notificationId,
      )?.report;
      return report !== undefined && report.sent + report.skipped + report.failed >= 153;
    });
    const settled = (await log()).notifications.find(
      (candidate) => candidate.notificationId === response.body.notificationId,
    );
    expect(settled?.report.skips).toEqual([
      expect.objectContaining({
        recipientId: 'dev',
        kind: 'push',
        code: 'no-address',
        reason: 'recipient dev has no push tokens',
      }),
    ]);
    expect(await inbox('dev', 'new_community_post')).toHaveLength(1);
    expect(await inbox('ana', 'new_community_post')).toEqual([]);

    // The follower's bell, live.
    await waitFor(fan, 'the post in the runner’s bell', async () => (await bellState(fan)).badge === '1');
  });

  it('removes the device whose token FCM calls dead, and never pushes to it again', async () => {
    const { removedDevices } = await log();
    expect(removedDevices).toEqual([{ userId: 'fan-008', token: 'tok-fan-008-2', reason: 'invalid-token' }]);
    const devices = (await ana<{ devices: { token: string }[] }>('GET', '/api/devices?userId=fan-008')).body.devices;
    expect(devices.map((device) => device.token)).toEqual(['tok-fan-008-1']);

    const before = (await pushes()).length;
    expect((await ana('POST', '/api/communities/trail-runners/posts', { text: 'Route map is up' })).status).toBe(201);
    await waitFor(undefined, 'the second round of pushes', async () => (await pushes()).length >= before + 300);
    const second = (await pushes()).slice(before);
    expect(second).toHaveLength(300);
    expect(second.some((message) => message.token === 'tok-fan-008-2')).toBe(false);
  });

  it('digests 20 reactions to one post within the window into one notification with count 20', async () => {
    const author = await social.open('ana');
    const { body } = await ana<{ post: { id: string } }>('POST', '/api/posts', { text: 'New personal best!' });
    const postId = body.post.id;
    const pushesBefore = (await pushes()).length;
    for (let index = 1; index <= 20; index++) {
      const fan = await apiAs(social.app.url, `fan-${String(index).padStart(3, '0')}`);
      expect((await fan('POST', `/api/posts/${postId}/reactions`, { vibe: 'love' })).status).toBe(201);
    }
    // Ana reacting to her own post notifies nobody: she is the actor.
    expect((await ana('POST', `/api/posts/${postId}/reactions`, { vibe: 'wow' })).status).toBe(201);
    // Inside the window nothing has gone out yet.
    expect(await inbox('ana', 'vibe_reaction_on_post')).toEqual([]);

    expect((await ana('POST', '/api/test/clock', { advanceMs: 30_000 })).status).toBe(200);
    await waitFor(undefined, 'the digest', async () => (await inbox('ana', 'vibe_reaction_on_post')).length === 1);
    const [digest] = await inbox('ana', 'vibe_reaction_on_post');
    expect(digest?.title).toBe('Runner 1 and 19 others reacted to your post');
    expect(digest?.data).toEqual({ count: 20 });
    await waitFor(undefined, 'the digest push', async () => (await pushes()).length >= pushesBefore + 2);
    const reactionPushes = (await pushes())
      .slice(pushesBefore)
      .filter((message) => message.data?.event === 'vibe_reaction_on_post');
    expect(reactionPushes.map((message) => message.token).sort()).toEqual(['tok-ana-1', 'tok-ana-2']);
    expect(reactionPushes.every((message) => message.data?.count === '20')).toBe(true);

    await waitFor(author, 'the digest in her bell', async () => (await bellState(author)).badge === '1');
    // The page reads the app's (moved) clock on each refresh: wait for one, so item times read against it.
    const appNow = Date.parse((await ana<{ now: string }>('GET', '/api/feed')).body.now);
    await waitFor(
      author,
      'the page to read the moved clock',
      async () => Date.parse((await author.locator('body').getAttribute('data-app-now')) ?? '0') >= appNow,
    );
    await author.locator('herald-inbox').locator('.bell').click();
    await waitFor(author, 'the panel', async () =>
      (await bellState(author)).items.some((text) => text.includes('Runner 1 and 19 others reacted')),
    );
    await waitFor(author, 'the send log', async () => (await author.locator('#log tr').count()) > 3);

    await author.screenshot({ path: screenshot });
  });

  it('previews the seven events, in-app and push, on /dev from the samples declared with them', async () => {
    const page = await fetch(`${social.app.url}/dev`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('tok-fan-001-1'); // the pushes the FCM stand-in received
    const { body } = await ana<{
      previews: {
        type: string;
        issues?: unknown[];
        channels: { kind: string; status: string; content?: { title?: string } }[];
      }[];
    }>('GET', '/dev/api/previews');
    expect(body.previews.map((preview) => preview.type)).toEqual([
      'new_post_from_connection',
      'vibe_reaction_on_post',
      'new_connection_request',
      'connection_accepted',
      'connection_rejected',
      'new_community_post',
      'new_story_from_connection',
    ]);
    for (const preview of body.previews) {
      expect(preview.issues).toBeUndefined();
      expect(preview.channels.map((channel) => [channel.kind, channel.status])).toEqual([
        ['inApp', 'rendered'],
        ['push', 'rendered'],
      ]);
    }
    const reaction = body.previews.find((preview) => preview.type === 'vibe_reaction_on_post');
    expect(reaction?.channels[1]?.content?.title).toBe('Ana reacted to your post');
  });

  it('refuses a reaction that is not a vibe, naming the field, and notifies nobody', async () => {
    const { body } = await ana<{ post: { id: string } }>('POST', '/api/posts', { text: 'Rest day' });
    const before = (await log()).notifications.length;
    const ben = await apiAs(social.app.url, 'ben');
    const response = await ben<{ error: string; issues: { path: string }[] }>(
      'POST',
      `/api/posts/${body.post.id}/reactions`,
      {
        vibe: 'angry',
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('VALIDATION');
    expect(response.body.issues.map((issue) => issue.path)).toEqual(['vibe']);
    expect((await log()).notifications.length).toBe(before);
  });
});

describe('the README commands', () => {
  const chromium = useChromium();

  it('npm start --workspace examples/social serves the page on MemoryStore', async () => {
    const app = await startApp('examples/social');
    try {
      expect(app.output()).toContain('(MemoryStore + in-process runner)');
      const page = await fetch(app.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sign in as');
      const { context, page: feed } = await signIn(chromium.browser, app.url, 'ben');
      expect(await feed.title()).toBe('Ooumph — Ben');
      await context.close();
    } finally {
      await app.stop();
    }
  });

  it('REDIS_URL=… npm start runs on RedisStore + BullMQ with a worker process that pushes and delivers', async () => {
    const app = await startApp('examples/social', { REDIS_URL: testRedisUrl() });
    try {
      expect(app.output()).toContain('(RedisStore + BullMQ, worker process started)');
      const { context, page } = await signIn(chromium.browser, app.url, 'ben');
      const cara = await apiAs(app.url, 'cara');
      expect((await cara('POST', '/api/stories', {})).status).toBe(201);
      // The worker pushed to Ben's phone through the web process's FCM stand-in, and his bell got the item.
      await waitFor(page, 'the story in his bell', async () => (await bellState(page)).badge === '1');
      await waitFor(undefined, 'the push', async () => {
        const { body } = await cara<{ messages: PushMessage[] }>('GET', '/dev/api/push');
        return body.messages.some((message) => message.token === 'tok-ben-1');
      });
      await context.close();
    } finally {
      await app.stop();
    }
  });
});
