// Version 2: what the LISTEN / NOTIFY realtime relay needs to tell "delivered to a socket somewhere" from "queued":
// which gateway holds which users, and the database session each gateway listens on (a gateway whose session is
// gone — its process died — counts as nobody).

import type { Migration } from './migration';

export const realtimeTables: Migration = {
  version: 2,
  name: 'realtime',
  sql: (s) => `
CREATE TABLE ${s}.realtime_gateways (
  gateway_id text PRIMARY KEY,
  backend_pid integer NOT NULL,
  backend_start timestamptz NOT NULL
);

CREATE TABLE ${s}.realtime_presence (
  user_id text NOT NULL,
  gateway_id text NOT NULL REFERENCES ${s}.realtime_gateways ON DELETE CASCADE,
  PRIMARY KEY (user_id, gateway_id)
);
CREATE INDEX realtime_presence_gateway ON ${s}.realtime_presence (gateway_id);
`,
};
