// Version 1: everything PostgresStore keeps. Counters (`inbox_users`, `inbox_unread`) change in the same statement as
// the items they count; partial indexes serve each inbox listing filter; the outbox is a partial index of the
// notifications still dispatching.

import type { Migration } from './migration';

export const storeTables: Migration = {
  version: 1,
  name: 'store',
  sql: (s) => `
-- One row per user with items: the last position handed out. Inserts lock it, so positions are gap-free and
-- committed in order per user.
CREATE TABLE ${s}.inbox_users (
  user_id text PRIMARY KEY,
  last_position bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 70);

CREATE TABLE ${s}.inbox_items (
  user_id text NOT NULL,
  position bigint NOT NULL,
  id text NOT NULL,
  notification_id text NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  url text,
  icon text,
  actor_id text,
  data json,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  read_at timestamptz,
  PRIMARY KEY (user_id, position),
  UNIQUE (user_id, id)
);
-- One partial index per listing filter: each page is an index range scan of at most limit + 1 entries.
CREATE INDEX inbox_items_unread ON ${s}.inbox_items (user_id, position) WHERE read_at IS NULL;
CREATE INDEX inbox_items_read ON ${s}.inbox_items (user_id, position) WHERE read_at IS NOT NULL;
CREATE INDEX inbox_items_undelivered ON ${s}.inbox_items (user_id, position) WHERE delivered_at IS NULL;
CREATE INDEX inbox_items_type ON ${s}.inbox_items (user_id, type, position);
CREATE INDEX inbox_items_unread_type ON ${s}.inbox_items (user_id, type, position) WHERE read_at IS NULL;
-- pruneInbox walks read items by read time.
CREATE INDEX inbox_items_read_at ON ${s}.inbox_items (read_at) WHERE read_at IS NOT NULL;

-- Unread items per user and type; the total is their sum. unreadCount reads these rows only.
CREATE TABLE ${s}.inbox_unread (
  user_id text NOT NULL,
  type text NOT NULL,
  unread bigint NOT NULL,
  PRIMARY KEY (user_id, type)
) WITH (fillfactor = 70);

-- The outbox: a notification is 'dispatching' from its first write until every delivery is handed over.
CREATE TABLE ${s}.notifications (
  id text PRIMARY KEY,
  type text NOT NULL,
  status text NOT NULL CHECK (status IN ('dispatching', 'dispatched')),
  lease_until timestamptz,
  idempotency_key text,
  created_at timestamptz NOT NULL,
  -- The record as Herald wrote it (payload, recipients, kinds, …), without status and lease.
  record json NOT NULL
);
CREATE INDEX notifications_outbox ON ${s}.notifications (lease_until) WHERE status = 'dispatching';

CREATE TABLE ${s}.idempotency_keys (
  key text PRIMARY KEY,
  notification_id text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expiry ON ${s}.idempotency_keys (expires_at);

CREATE TABLE ${s}.deliveries (
  id text PRIMARY KEY,
  -- Creation order, later records of one call counting as newer: the delivery listing's cursor.
  sequence bigint GENERATED ALWAYS AS IDENTITY,
  notification_id text NOT NULL,
  type text NOT NULL,
  recipient_id text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  channel_id text,
  attempts integer NOT NULL,
  provider_message_id text,
  reason text,
  detail text,
  error json,
  inbox_item_id text,
  scheduled_for timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX deliveries_sequence ON ${s}.deliveries (sequence);
CREATE INDEX deliveries_notification ON ${s}.deliveries (notification_id, sequence);
CREATE INDEX deliveries_recipient ON ${s}.deliveries (recipient_id, sequence);
CREATE INDEX deliveries_status ON ${s}.deliveries (status, sequence);
CREATE INDEX deliveries_provider_message ON ${s}.deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE ${s}.devices (
  token text PRIMARY KEY,
  user_id text NOT NULL,
  platform text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX devices_user ON ${s}.devices (user_id);

CREATE TABLE ${s}.preferences (
  user_id text PRIMARY KEY,
  preferences json NOT NULL
);
`,
};
