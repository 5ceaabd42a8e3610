import type { InboxItem, UnreadCount } from '@herald/core';
import type { HeraldInboxNavigateDetail } from '@herald/inbox-element';
import type { HeraldClient, HeraldClientSnapshot } from '@herald/websocket/client';
import type { ReactElement } from 'react';
import { describe, expectTypeOf, it } from 'vitest';
import {
  HeraldProvider,
  Inbox,
  type InboxProps,
  type NotificationsFilter,
  useHeraldClient,
  useInbox,
  useNotifications,
  useUnreadCount,
} from './index';

declare const client: HeraldClient;

describe('@herald/react types', () => {
  it('types the hooks by the client snapshot', () => {
    expectTypeOf(useInbox).returns.toEqualTypeOf<HeraldClientSnapshot>();
    expectTypeOf(useUnreadCount).returns.toEqualTypeOf<UnreadCount>();
    expectTypeOf(useNotifications).returns.toEqualTypeOf<readonly InboxItem[]>();
    expectTypeOf(useHeraldClient).returns.toEqualTypeOf<HeraldClient>();
    expectTypeOf(useUnreadCount().unseen).toEqualTypeOf<number>();
  });

  it('accepts the filter shapes, and nothing else', () => {
    expectTypeOf<'unread'>().toMatchTypeOf<NotificationsFilter>();
    expectTypeOf<{ status: 'read'; type: string[] }>().toMatchTypeOf<NotificationsFilter>();
    expectTypeOf<(item: InboxItem) => boolean>().toMatchTypeOf<NotificationsFilter>();
    expectTypeOf<'archived'>().not.toMatchTypeOf<NotificationsFilter>();
    expectTypeOf<{ status: 'archived' }>().not.toMatchTypeOf<NotificationsFilter>();
  });

  it('needs a client for the provider, and types <Inbox />’s events', () => {
    expectTypeOf(HeraldProvider).parameter(0).toHaveProperty('client').toEqualTypeOf<HeraldClient>();
    expectTypeOf(HeraldProvider).returns.toEqualTypeOf<ReactElement>();
    <HeraldProvider client={client} />;
    // @ts-expect-error: a provider without a client
    <HeraldProvider />;
    expectTypeOf<
      Parameters<NonNullable<InboxProps['onNavigate']>>[0]['detail']
    >().toEqualTypeOf<HeraldInboxNavigateDetail>();
    // @ts-expect-error: themes are light, dark or auto
    <Inbox theme="sepia" />;
    expectTypeOf(Inbox).returns.toEqualTypeOf<ReactElement>();
    <Inbox apiUrl="/api/inbox" onNavigate={(event) => event.preventDefault()} />;
  });
});
