// Version 3: the inbox states seen and archived (with an unseen counter beside each unread one), device ownership in
// registration order, the withheld deliveries' reason codes, and the digests and throttles of notifications that
// unfold over time. Joins and takes run as one function call per chunk: each one takes a transaction-scoped lock on
// its recipient × key first (in one global order, so concurrent calls never deadlock), and every statement after it
// sees what the previous holder committed.

import type { Migration } from './migration';

export const statesAndWorkflows: Migration = {
  version: 3,
  name: 'states-workflows',
  sql: (s) => `
-- Seen and archived. A read item is seen: the items read so far were seen when they were read.
ALTER TABLE ${s}.inbox_items ADD COLUMN seen_at timestamptz, ADD COLUMN archived_at timestamptz;
UPDATE ${s}.inbox_items SET seen_at = read_at WHERE read_at IS NOT NULL;
-- Unseen unarchived items per user and type, beside the unread ones (every item was unarchived until now, and the
-- unseen ones are exactly the unread ones).
ALTER TABLE ${s}.inbox_unread ADD COLUMN unseen bigint NOT NULL DEFAULT 0;
UPDATE ${s}.inbox_unread SET unseen = unread;
CREATE INDEX inbox_items_unseen ON ${s}.inbox_items (user_id, position) WHERE seen_at IS NULL;
CREATE INDEX inbox_items_archived ON ${s}.inbox_items (user_id, position) WHERE archived_at IS NOT NULL;

-- Withheld deliveries say why as a code; a digested one names its digest's delivery.
ALTER TABLE ${s}.deliveries ADD COLUMN reason_code text, ADD COLUMN digest_delivery_id text;

-- Devices in registration order (a token registered again is the newest): the oldest are evicted past the cap.
CREATE SEQUENCE ${s}.device_registrations;
ALTER TABLE ${s}.devices ADD COLUMN registration bigint;
UPDATE ${s}.devices d SET registration = r.registration
FROM (SELECT token, nextval('${s}.device_registrations') AS registration
      FROM (SELECT token FROM ${s}.devices ORDER BY created_at, token) ordered) r
WHERE d.token = r.token;
ALTER TABLE ${s}.devices ALTER COLUMN registration SET NOT NULL,
  ALTER COLUMN registration SET DEFAULT nextval('${s}.device_registrations');
ALTER SEQUENCE ${s}.device_registrations OWNED BY ${s}.devices.registration;
DROP INDEX ${s}.devices_user;
CREATE INDEX devices_user ON ${s}.devices (user_id, registration);

-- Digests: buckets per recipient. At most one bucket per recipient × key takes joins (open and not full).
CREATE TABLE ${s}.digests (
  recipient_id text NOT NULL,
  id text NOT NULL,
  key text NOT NULL,
  type text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'closed')),
  opened_at timestamptz NOT NULL,
  closes_at timestamptz NOT NULL,
  cap_at timestamptz,
  -- A flush: later joins no longer move the close.
  is_expedited boolean NOT NULL DEFAULT false,
  -- Reached its maxEvents: due at once, and no longer the key's open bucket.
  is_full boolean NOT NULL DEFAULT false,
  event_count integer NOT NULL DEFAULT 0,
  -- The join order of the next event.
  next_event integer NOT NULL DEFAULT 0,
  PRIMARY KEY (recipient_id, id)
);
CREATE UNIQUE INDEX digests_joinable ON ${s}.digests (recipient_id, key) WHERE status = 'open' AND NOT is_full;
-- listOpenDigests pages open buckets in id order (bytes, as "C" compares them).
CREATE INDEX digests_open ON ${s}.digests ((id COLLATE "C"), (recipient_id COLLATE "C")) WHERE status = 'open';

-- Where each event of a recipient's key went: a join repeated later answers with that bucket. Leaving deletes it.
CREATE TABLE ${s}.digest_events (
  recipient_id text NOT NULL,
  key text NOT NULL,
  notification_id text NOT NULL,
  digest_id text NOT NULL,
  ordinal integer NOT NULL,
  -- The event as it joined (notificationId, payload, actorId, createdAt).
  event json NOT NULL,
  PRIMARY KEY (recipient_id, key, notification_id)
);
CREATE INDEX digest_events_bucket ON ${s}.digest_events (recipient_id, digest_id, ordinal);

-- Throttles: the members let through per recipient × key, with when.
CREATE TABLE ${s}.throttle_members (
  recipient_id text NOT NULL,
  key text NOT NULL,
  member text NOT NULL,
  taken_at timestamptz NOT NULL,
  PRIMARY KEY (recipient_id, key, member)
);

CREATE FUNCTION ${s}.join_digests(
  keys text[], open_as text[], types text[], recipients text[], notification_ids text[], events json[],
  ats timestamptz[], closes timestamptz[], slides timestamptz[], caps timestamptz[], max_events integer[]
) RETURNS TABLE (ord integer, digest_id text, opened boolean, joined boolean, closes_at timestamptz, count integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  j record;
  bucket record;
  placed text;
  moved timestamptz;
BEGIN
  FOR j IN
    SELECT t.*, hashtextextended('${s}' || chr(31) || 'digest' || chr(31) || t.r || chr(31) || t.k, 0) AS lock_key
    FROM unnest(keys, open_as, types, recipients, notification_ids, events, ats, closes, slides, caps, max_events)
      WITH ORDINALITY AS t(k, open_as, type, r, nid, event, at, closes, slide, cap, max_events, ord)
    ORDER BY lock_key, t.ord
  LOOP
    PERFORM pg_advisory_xact_lock(j.lock_key);
    ord := j.ord;
    -- The event joined before (a resumed dispatch): its bucket, unchanged.
    SELECT e.digest_id INTO placed FROM ${s}.digest_events e
    WHERE e.recipient_id = j.r AND e.key = j.k AND e.notification_id = j.nid;
    IF FOUND THEN
      SELECT d.id, d.closes_at, d.event_count INTO bucket FROM ${s}.digests d
      WHERE d.recipient_id = j.r AND d.id = placed;
      digest_id := bucket.id; opened := false; joined := false; closes_at := bucket.closes_at;
      count := bucket.event_count;
      RETURN NEXT;
      CONTINUE;
    END IF;
    -- The key's open bucket; the row lock waits out a close in progress, and a closed one no longer takes joins.
    SELECT d.* INTO bucket FROM ${s}.digests d
    WHERE d.recipient_id = j.r AND d.key = j.k AND d.status = 'open' AND NOT d.is_full
    FOR UPDATE;
    IF FOUND AND bucket.status = 'open' AND NOT bucket.is_full THEN
      moved := bucket.closes_at;
      IF j.slide IS NOT NULL AND NOT bucket.is_expedited AND bucket.closes_at > j.at THEN
        moved := greatest(bucket.closes_at, least(j.slide, coalesce(bucket.cap_at, j.slide)));
      END IF;
      opened := false;
    ELSE
      INSERT INTO ${s}.digests AS d (recipient_id, id, key, type, status, opened_at, closes_at, cap_at)
      VALUES (j.r, j.open_as, j.k, j.type, 'open', j.at, j.closes, j.cap)
      ON CONFLICT DO NOTHING
      RETURNING d.* INTO bucket;
      IF NOT FOUND THEN
        -- The id was used before: this join happened before and its event has left since. Nothing changes.
        SELECT d.id, d.closes_at, d.event_count INTO bucket FROM ${s}.digests d
        WHERE d.recipient_id = j.r AND d.id = j.open_as;
        digest_id := bucket.id; opened := false; joined := false; closes_at := bucket.closes_at;
        count := bucket.event_count;
        RETURN NEXT;
        CONTINUE;
      END IF;
      moved := bucket.closes_at;
      opened := true;
    END IF;
    INSERT INTO ${s}.digest_events (recipient_id, key, notification_id, digest_id, ordinal, event)
    VALUES (j.r, j.k, j.nid, bucket.id, bucket.next_event, j.event);
    count := bucket.event_count + 1;
    IF count >= j.max_events AND j.at < moved THEN
      moved := j.at;
    END IF;
    UPDATE ${s}.digests d SET event_count = count, next_event = d.next_event + 1, closes_at = moved,
      is_full = count >= j.max_events
    WHERE d.recipient_id = j.r AND d.id = bucket.id;
    digest_id := bucket.id; joined := true; closes_at := moved;
    RETURN NEXT;
  END LOOP;
END
$fn$;

CREATE FUNCTION ${s}.take_throttles(
  recipients text[], keys text[], members text[], limits integer[], ats timestamptz[], sinces timestamptz[]
) RETURNS TABLE (ord integer, taken boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  q record;
  held integer;
BEGIN
  FOR q IN
    SELECT t.*, hashtextextended('${s}' || chr(31) || 'throttle' || chr(31) || t.r || chr(31) || t.k, 0) AS lock_key
    FROM unnest(recipients, keys, members, limits, ats, sinces) WITH ORDINALITY AS t(r, k, member, lim, at, since, ord)
    ORDER BY lock_key, t.ord
  LOOP
    PERFORM pg_advisory_xact_lock(q.lock_key);
    ord := q.ord;
    DELETE FROM ${s}.throttle_members m WHERE m.recipient_id = q.r AND m.key = q.k AND m.taken_at < q.since;
    PERFORM 1 FROM ${s}.throttle_members m WHERE m.recipient_id = q.r AND m.key = q.k AND m.member = q.member;
    IF FOUND THEN
      taken := true;
    ELSE
      SELECT count(*) INTO held FROM ${s}.throttle_members m WHERE m.recipient_id = q.r AND m.key = q.k;
      taken := held < q.lim;
      IF taken THEN
        INSERT INTO ${s}.throttle_members (recipient_id, key, member, taken_at) VALUES (q.r, q.k, q.member, q.at);
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$fn$;
`,
};
