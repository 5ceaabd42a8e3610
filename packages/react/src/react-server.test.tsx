// Rendering on the server: no DOM anywhere, the hooks read the empty server snapshot and <Inbox /> writes its tag.

import { createHeraldClient } from '@herald/websocket/client';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type InboxStack, startInboxStack } from '../../inbox-element/src/inbox-browser.fixture';
import { HeraldProvider, Inbox, useNotifications, useUnreadCount } from './index';

function Counts() {
  const { total, unseen } = useUnreadCount();
  const items = useNotifications({ filter: { status: 'unread', type: 'ticket.assigned' } });
  return (
    <p>
      {total}/{unseen}/{items.length}
    </p>
  );
}

describe('server rendering', () => {
  let stack: InboxStack;

  beforeAll(async () => {
    stack = await startInboxStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('renders without window or document, from the server snapshot, even while the client has items', async () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    await stack.notify('ann', 'Printer on fire');
    const client = createHeraldClient({
      url: `${stack.origin.replace('http', 'ws')}/realtime`,
      token: 'user:ann',
      WebSocket,
    });
    try {
      const deadline = Date.now() + 10_000;
      while (client.getSnapshot().items.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(client.getSnapshot().items).toHaveLength(1);
      const html = renderToString(
        <HeraldProvider client={client}>
          <Counts />
          <Inbox apiUrl="/api/inbox" theme="dark" className="bell" />
        </HeraldProvider>,
      );
      expect(html).toContain('<p>0<!-- -->/<!-- -->0<!-- -->/<!-- -->0</p>');
      expect(html).toMatch(/<herald-inbox[^>]*api-url="\/api\/inbox"[^>]*theme="dark"[^>]*><\/herald-inbox>/);
      expect(html).toContain('class="bell"');
    } finally {
      await client.close();
    }
  });

  it('names the fix when a hook runs outside a provider', () => {
    expect(() => renderToString(<Counts />)).toThrow(/inside <HeraldProvider client=/);
  });
});
