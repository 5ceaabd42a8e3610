// The React app the browser test loads: a provider, hooks and <Inbox /> on one client, as a host writes them.

import { createHeraldClient } from '@herald/websocket/client';
import { createRoot } from 'react-dom/client';
import { HeraldProvider, Inbox, useInbox, useNotifications, useUnreadCount } from './index';

function Badge() {
  const { total, unseen } = useUnreadCount();
  return (
    <p id="counts">
      unread {total}, unseen {unseen}
    </p>
  );
}

function UnreadList() {
  const items = useNotifications({ filter: 'unread' });
  return (
    <ul id="unread">
      {items.map((item) => (
        <li key={item.id}>{item.body}</li>
      ))}
    </ul>
  );
}

function Status() {
  return <p id="status">{useInbox().status}</p>;
}

const params = new URLSearchParams(location.search);
const client = createHeraldClient({ url: `ws://${location.host}/realtime`, token: `user:${params.get('user')}` });
const navigated: string[] = [];
(window as unknown as { navigated: string[] }).navigated = navigated;

createRoot(document.getElementById('app')!).render(
  <HeraldProvider client={client}>
    <header>
      <Inbox
        apiUrl="/api/inbox"
        tokenUrl={`/token?user=${params.get('user')}`}
        onNavigate={(event) => {
          event.preventDefault();
          navigated.push(event.detail.url ?? '');
        }}
      >
        <div slot="empty">Nothing here yet</div>
      </Inbox>
    </header>
    <Status />
    <Badge />
    <UnreadList />
  </HeraldProvider>,
);
