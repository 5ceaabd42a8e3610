// The Lua scripts behind RedisStore. Each one is a single atomic step: a state change and the counters and
// indexes that describe it move together or not at all. Every script is also safe to run twice (a client may
// resend a command whose reply was lost), because it checks the state it changes.
//
// Inbox keys of one user all start with `<prefix>{u:<userId>}:` (ARGV "base"), so they share a Redis Cluster
// hash slot; scripts derive the per-item key names from that base. Layout under the base:
//   counts     hash: `pos` = last position, `#` = unread total, `t:<type>` = unread of that type (removed at zero)
//   i:<id>     hash: j = item JSON (without position/readAt/deliveredAt), p = position, t = type,
//              r = readAt, d = deliveredAt
//   x          one sorted set holding every listing index, ordered by member (all scores 0). A member is
//              <set prefix><position, 12 digits><id>; set prefixes: `a/` all, `u/` unread, `r/` read,
//              `n/` undelivered, and per type `A#<bytes>:<type>/` (likewise U, R, N). One key instead of eight
//              keeps a new user's first insert cheap; ZRANGEBYLEX over a prefix pages any index in O(log n + limit).
//   readat     sorted set of read item ids scored by readAt (epoch ms), for pruning

/**
 * Lua helpers shared by the claim scripts. A claim key holds '<expiresAt ms>|<notificationId>'; the expiry is checked
 * against the store's clock (ARGV now), Redis's own TTL only collects the key.
 */
const claimHelpers = `
local function holderOf(key, now)
  local held = redis.call('get', key)
  if not held then return nil end
  local bar = string.find(held, '|', 1, true)
  if bar and tonumber(string.sub(held, 1, bar - 1)) > tonumber(now) then return string.sub(held, bar + 1) end
  return nil
end
`;

/** Lua helpers shared by the inbox scripts. */
const inboxHelpers = `
local function pad(pos) return string.format('%012d', pos) end
local function typed(set, t) return set .. '#' .. #t .. ':' .. t .. '/' end
-- Moves one unread item (member suffix p) to read, at readAt (ISO and epoch ms).
local function readOne(base, key, p, t, id, readAt, readAtMs)
  redis.call('hset', key, 'r', readAt)
  redis.call('zrem', base .. 'x', 'u/' .. p, typed('U', t) .. p)
  redis.call('zadd', base .. 'x', 0, 'r/' .. p, 0, typed('R', t) .. p)
  redis.call('zadd', base .. 'readat', readAtMs, id)
end
-- Takes read items off the unread counters, dropping a counter at zero.
local function uncount(counts, total, byType)
  if total == 0 then return end
  if redis.call('hincrby', counts, '#', -total) <= 0 then redis.call('hdel', counts, '#') end
  for t, c in pairs(byType) do
    if redis.call('hincrby', counts, 't:' .. t, -c) <= 0 then redis.call('hdel', counts, 't:' .. t) end
  end
end
`;

/** The scripts, keyed by the command name they are registered under (`defineCommand`). */
export const redisScripts = {
  /**
   * Inserts items, possibly of several users (on a single Redis; a Cluster gets one user per call).
   * KEYS[1] = the first item's base..'counts' (routes the call). ARGV: count, then base, id, type, json per item.
   * Returns one entry per item: the new position, or `{p, j, r, d}` of the item the user already had.
   */
  heraldInboxInsert: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local n = tonumber(ARGV[1])
local out = {}
-- Per user base: the counts hash fields as read on first sight, then updated in Lua and written back once.
local counts = {}
-- Per type: its three index prefixes, built once per call.
local prefixes = {}
for i = 0, n - 1 do
  local base = ARGV[2 + i * 4]
  local id = ARGV[3 + i * 4]
  local t = ARGV[4 + i * 4]
  local key = base .. 'i:' .. id
  if redis.call('exists', key) == 1 then
    out[i + 1] = redis.call('hmget', key, 'p', 'j', 'r', 'd')
  else
    local c = counts[base]
    local tf = 't:' .. t
    if not c then
      local v = redis.call('hmget', base .. 'counts', 'pos', '#', tf)
      c = { pos = tonumber(v[1] or '0'), total = tonumber(v[2] or '0'), types = {} }
      c.types[tf] = tonumber(v[3] or '0')
      counts[base] = c
    elseif not c.types[tf] then
      c.types[tf] = tonumber(redis.call('hget', base .. 'counts', tf) or '0')
    end
    c.pos = c.pos + 1
    c.total = c.total + 1
    c.types[tf] = c.types[tf] + 1
    local tp = prefixes[t]
    if not tp then
      tp = { typed('A', t), typed('U', t), typed('N', t) }
      prefixes[t] = tp
    end
    redis.call('hset', key, 'j', ARGV[5 + i * 4], 'p', c.pos, 't', t)
    local p = pad(c.pos) .. id
    redis.call('zadd', base .. 'x', 0, 'a/' .. p, 0, tp[1] .. p, 0, 'u/' .. p, 0, tp[2] .. p, 0, 'n/' .. p, 0, tp[3] .. p)
    out[i + 1] = c.pos
  end
end
for base, c in pairs(counts) do
  local fields = { 'pos', c.pos, '#', c.total }
  for tf, value in pairs(c.types) do
    fields[#fields + 1] = tf
    fields[#fields + 1] = value
  end
  redis.call('hset', base .. 'counts', unpack(fields))
end
return out
`,
  },

  /**
   * A page of one index, newest first. KEYS[1] = base..'x'. ARGV: base, max bound, min bound, count, prefix length.
   * Returns {p, j, r, d} per item.
   */
  heraldInboxPage: {
    numberOfKeys: 1,
    lua: `
local base = ARGV[1]
local skip = tonumber(ARGV[5]) + 13
local members = redis.call('zrevrangebylex', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for i, m in ipairs(members) do out[i] = redis.call('hmget', base .. 'i:' .. string.sub(m, skip), 'p', 'j', 'r', 'd') end
return out
`,
  },

  /** Items after a position, oldest first. KEYS[1] = base..'x'. ARGV: base, min bound, count. {p, j, r, d}... */
  heraldInboxAfter: {
    numberOfKeys: 1,
    lua: `
local base = ARGV[1]
local members = redis.call('zrangebylex', KEYS[1], ARGV[2], '(a/:', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, m in ipairs(members) do out[i] = redis.call('hmget', base .. 'i:' .. string.sub(m, 15), 'p', 'j', 'r', 'd') end
return out
`,
  },

  /** KEYS[1] = base..'counts'. ARGV: base, readAt, readAt epoch ms, ids... Returns the ids that were unread. */
  heraldInboxMarkRead: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local changed = {}
local byType = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local key = base .. 'i:' .. id
  local v = redis.call('hmget', key, 'p', 't', 'r')
  if v[1] and not v[3] then
    readOne(base, key, pad(tonumber(v[1])) .. id, v[2], id, ARGV[2], ARGV[3])
    byType[v[2]] = (byType[v[2]] or 0) + 1
    changed[#changed + 1] = id
  end
end
uncount(KEYS[1], #changed, byType)
return changed
`,
  },

  /**
   * Marks up to `chunk` unread items with position <= maxPosition read. KEYS[1] = base..'counts'.
   * ARGV: base, readAt, readAt epoch ms, maxPosition ('' = the current last position), type ('' = all), chunk.
   * Returns {changed, maxPosition, hasMore}.
   */
  heraldInboxMarkAllRead: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local maxPos = ARGV[4]
if maxPos == '' then maxPos = redis.call('hget', KEYS[1], 'pos') or '0' end
local prefix = 'u/'
if ARGV[5] ~= '' then prefix = typed('U', ARGV[5]) end
local chunk = tonumber(ARGV[6])
local members = redis.call('zrangebylex', base .. 'x', '[' .. prefix, '(' .. prefix .. pad(tonumber(maxPos) + 1),
  'LIMIT', 0, chunk + 1)
local count = math.min(#members, chunk)
local byType = {}
for i = 1, count do
  local p = string.sub(members[i], #prefix + 1)
  local id = string.sub(p, 13)
  local key = base .. 'i:' .. id
  local t = redis.call('hget', key, 't')
  readOne(base, key, p, t, id, ARGV[2], ARGV[3])
  byType[t] = (byType[t] or 0) + 1
end
uncount(KEYS[1], count, byType)
local hasMore = 0
if #members > chunk then hasMore = 1 end
return {count, maxPos, hasMore}
`,
  },

  /** KEYS[1] = base..'counts'. ARGV: base, ids... Returns the ids that were read. */
  heraldInboxMarkUnread: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local changed = {}
local byType = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local key = base .. 'i:' .. id
  local v = redis.call('hmget', key, 'p', 't', 'r')
  if v[1] and v[3] then
    local t = v[2]
    local p = pad(tonumber(v[1])) .. id
    redis.call('hdel', key, 'r')
    redis.call('zadd', base .. 'x', 0, 'u/' .. p, 0, typed('U', t) .. p)
    redis.call('zrem', base .. 'x', 'r/' .. p, typed('R', t) .. p)
    redis.call('zrem', base .. 'readat', id)
    byType[t] = (byType[t] or 0) + 1
    changed[#changed + 1] = id
  end
end
if #changed > 0 then
  redis.call('hincrby', KEYS[1], '#', #changed)
  for t, c in pairs(byType) do redis.call('hincrby', KEYS[1], 't:' .. t, c) end
end
return changed
`,
  },

  /** KEYS[1] = base..'x'. ARGV: base, deliveredAt, ids... Returns the ids that were not yet delivered. */
  heraldInboxMarkDelivered: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local changed = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local key = base .. 'i:' .. id
  local v = redis.call('hmget', key, 'p', 't', 'd')
  if v[1] and not v[3] then
    local p = pad(tonumber(v[1])) .. id
    redis.call('hset', key, 'd', ARGV[2])
    redis.call('zrem', KEYS[1], 'n/' .. p, typed('N', v[2]) .. p)
    changed[#changed + 1] = id
  end
end
return changed
`,
  },

  /**
   * Deletes up to `max` items read before the cutoff. KEYS[1] = base..'readat'. ARGV: base, cutoff epoch ms, max.
   * Returns {removed, readItemsLeft}.
   */
  heraldInboxPrune: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local ids = redis.call('zrangebyscore', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local key = base .. 'i:' .. id
  local v = redis.call('hmget', key, 'p', 't')
  if v[1] then
    local t = v[2]
    local p = pad(tonumber(v[1])) .. id
    redis.call('zrem', base .. 'x', 'a/' .. p, typed('A', t) .. p, 'r/' .. p, typed('R', t) .. p, 'n/' .. p,
      typed('N', t) .. p)
    redis.call('del', key)
  end
  redis.call('zrem', KEYS[1], id)
end
return {#ids, redis.call('zcard', KEYS[1])}
`,
  },

  /** Notes that a user has read items, for pruning. KEYS: registry zset, sequence. ARGV: userId. */
  heraldPruneRegister: {
    numberOfKeys: 2,
    lua: `
local seq = redis.call('incr', KEYS[2])
redis.call('zadd', KEYS[1], seq, ARGV[1])
return seq
`,
  },

  /** Removes a member only if its score is unchanged. KEYS[1] = zset. ARGV: member, score. */
  heraldZremIfScore: {
    numberOfKeys: 1,
    lua: `
local score = redis.call('zscore', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('zrem', KEYS[1], ARGV[1]) end
return 0
`,
  },

  /** Deletes a key only if it holds the value. KEYS[1] = key. ARGV: value. */
  heraldDelIfEqual: {
    numberOfKeys: 1,
    lua: `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
`,
  },

  // The outbox. A notification record is a hash `{n:<id>}:record`: j = the record's JSON without status and lease,
  // s = status (dispatching, dispatched, or abandoned: a tombstone, see below), l = leaseUntil (ISO 8601),
  // t = the idempotency key's time to live (ms), for a relay that has to claim the key again. The outbox is one
  // sorted set `{outbox}` of dispatching notification ids scored by lease end (epoch ms): the truth for leases.

  /**
   * A notification's first write on a single Redis, whole: claims the key unless another notification holds it
   * unexpired, then stores the record and its outbox entry (a record stored already is left as it is).
   * KEYS[1] = record key, KEYS[2] = outbox. ARGV: claim key ('' for none), now (ms), key ttl (ms), claim value
   * ('<expiresAt>|<id>'), id, record JSON, lease end (ms), leaseUntil, prefix.
   * Returns {1} when created, or {0, holder id, {j, s, l} of the holder's record}.
   */
  heraldNotificationBegin: {
    numberOfKeys: 2,
    lua: `${claimHelpers}
local claimKey = ARGV[1]
if claimKey ~= '' then
  local holder = holderOf(claimKey, ARGV[2])
  if holder then
    return {0, holder, redis.call('hmget', ARGV[9] .. '{n:' .. holder .. '}:record', 'j', 's', 'l')}
  end
  redis.call('set', claimKey, ARGV[4], 'PX', ARGV[3])
end
if redis.call('exists', KEYS[1]) == 0 then
  redis.call('hset', KEYS[1], 'j', ARGV[6], 's', 'dispatching', 'l', ARGV[8])
  if claimKey ~= '' then redis.call('hset', KEYS[1], 't', ARGV[3]) end
  redis.call('zadd', KEYS[2], ARGV[7], ARGV[5])
end
return {1}
`,
  },

  /**
   * Takes up to `limit` dispatching notifications whose lease ended before `now`, oldest lease first, on a single
   * Redis: each taken one is re-scored to the new lease end (so no other caller can take it) and its record's `l`
   * set; an entry whose record is not dispatching (dispatched since) is dropped. KEYS[1] = outbox.
   * ARGV: now (ms), new lease end (ms, after now), leaseUntil, limit, prefix. Returns {id, j} per notification.
   */
  heraldNotificationsLease: {
    numberOfKeys: 1,
    lua: `
local limit = tonumber(ARGV[4])
local out = {}
while #out < limit do
  local ids = redis.call('zrangebyscore', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, limit - #out)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local key = ARGV[5] .. '{n:' .. id .. '}:record'
    local v = redis.call('hmget', key, 'j', 's')
    if v[2] == 'dispatching' then
      redis.call('zadd', KEYS[1], ARGV[2], id)
      redis.call('hset', key, 'l', ARGV[3])
      out[#out + 1] = {id, v[1]}
    else
      redis.call('zrem', KEYS[1], id)
    end
  end
end
return out
`,
  },

  /**
   * Takes the outbox entries whose lease ended before `now` (a Cluster: the records live on other slots and are
   * looked at next). KEYS[1] = outbox. ARGV: now (ms), new lease end (ms), limit. Returns the ids taken.
   */
  heraldOutboxTake: {
    numberOfKeys: 1,
    lua: `
local ids = redis.call('zrangebyscore', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('zadd', KEYS[1], ARGV[2], id) end
return ids
`,
  },

  /**
   * A Cluster's second step of a lease, on the record's slot. A dispatching record gets the new `l` and is returned
   * as {'dispatching', j, t}. A record that never appeared (its begin died between the outbox entry and the record,
   * or is still stalled there past its lease) becomes a tombstone, so a late write of it is refused: {'missing'}.
   * Otherwise {status}. KEYS[1] = record key. ARGV: leaseUntil, tombstone ttl (ms).
   */
  heraldNotificationLeased: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('hmget', KEYS[1], 's', 'j', 't')
if v[1] == 'dispatching' then
  redis.call('hset', KEYS[1], 'l', ARGV[1])
  return {'dispatching', v[2], v[3] or ''}
end
if not v[1] then
  redis.call('hset', KEYS[1], 's', 'abandoned')
  redis.call('pexpire', KEYS[1], ARGV[2])
  return {'missing'}
end
return {v[1]}
`,
  },

  /**
   * A Cluster's record write of a begin, after its outbox entry: creates the record unless one exists (a resent
   * begin, or the tombstone of a relay that gave up waiting for it). KEYS[1] = record key. ARGV: record JSON,
   * leaseUntil, key ttl ('' for none). Returns 'created' or the stored record's status.
   */
  heraldNotificationWrite: {
    numberOfKeys: 1,
    lua: `
local status = redis.call('hget', KEYS[1], 's')
if status then return status end
redis.call('hset', KEYS[1], 'j', ARGV[1], 's', 'dispatching', 'l', ARGV[2])
if ARGV[3] ~= '' then redis.call('hset', KEYS[1], 't', ARGV[3]) end
return 'created'
`,
  },

  /**
   * Claims a key for a notification unless another one holds it unexpired (a key its own notification holds is
   * claimed again). KEYS[1] = claim key. ARGV: now (ms), ttl (ms), value ('<expiresAt>|<id>'), id.
   * Returns false when claimed, or the holder's id.
   */
  heraldIdempotencyClaimFor: {
    numberOfKeys: 1,
    lua: `${claimHelpers}
local holder = holderOf(KEYS[1], ARGV[1])
if holder and holder ~= ARGV[4] then return holder end
redis.call('set', KEYS[1], ARGV[3], 'PX', ARGV[2])
return false
`,
  },

  /**
   * Extends a dispatching notification's lease: its record's `l`, and on a single Redis its outbox entry (a
   * Cluster moves the entry first, itself). KEYS[1] = record key. ARGV: id, lease end (ms), leaseUntil, outbox
   * ('' on a Cluster). Returns 1, or 0 when the record is not dispatching.
   */
  heraldNotificationRenew: {
    numberOfKeys: 1,
    lua: `
if redis.call('hget', KEYS[1], 's') ~= 'dispatching' then return 0 end
redis.call('hset', KEYS[1], 'l', ARGV[3])
if ARGV[4] ~= '' then redis.call('zadd', ARGV[4], ARGV[2], ARGV[1]) end
return 1
`,
  },

  /**
   * Marks a stored record dispatched (or, with status 'abandoned' and a ttl, turns it into a tombstone) and, on a
   * single Redis, drops its outbox entry (a Cluster drops it next). KEYS[1] = record key.
   * ARGV: id, outbox ('' on a Cluster), status, tombstone ttl (ms, '' to keep the record).
   */
  heraldNotificationSettle: {
    numberOfKeys: 1,
    lua: `
if redis.call('exists', KEYS[1]) == 1 then
  redis.call('hset', KEYS[1], 's', ARGV[3])
  redis.call('hdel', KEYS[1], 'l')
  if ARGV[4] ~= '' then redis.call('pexpire', KEYS[1], ARGV[4]) end
end
if ARGV[2] ~= '' then redis.call('zrem', ARGV[2], ARGV[1]) end
return 1
`,
  },

  // A delivery record is a hash `{d:<id>}` whose field j holds the record's JSON.

  /**
   * Creates the delivery records of one chunk that are not stored yet, on a single Redis: their records, creation
   * sequence, index entries and provider-message-id lookups in one step, so a record is never without its index
   * entries and a record written again (a resumed dispatch) is neither changed nor indexed twice.
   * KEYS[1] = the sequence key. ARGV: prefix, then per record: id, notificationId, recipientId, providerMessageId
   * ('' for none), JSON. Returns how many were created.
   */
  heraldDeliveriesCreate: {
    numberOfKeys: 1,
    lua: `
local prefix = ARGV[1]
local seq = tonumber(redis.call('get', KEYS[1]) or '0')
local created = 0
for at = 2, #ARGV, 5 do
  local id = ARGV[at]
  if redis.call('hsetnx', prefix .. '{d:' .. id .. '}', 'j', ARGV[at + 4]) == 1 then
    seq = seq + 1
    created = created + 1
    redis.call('zadd', prefix .. 'deliveries', seq, id)
    redis.call('zadd', prefix .. '{n:' .. ARGV[at + 1] .. '}:deliveries', seq, id)
    redis.call('zadd', prefix .. '{u:' .. ARGV[at + 2] .. '}:deliveries', seq, id)
    if ARGV[at + 3] ~= '' then redis.call('set', prefix .. '{pm:' .. ARGV[at + 3] .. '}', id) end
  end
end
if created > 0 then redis.call('set', KEYS[1], seq) end
return created
`,
  },

  /**
   * KEYS[1] = record key. ARGV: updatedAt, number of allowed statuses (-1 for any), the statuses, then field, JSON
   * value pairs. Returns false when missing or not allowed, else {previous providerMessageId or '', record JSON}.
   */
  heraldDeliveryUpdate: {
    numberOfKeys: 1,
    lua: `
local json = redis.call('hget', KEYS[1], 'j')
if not json then return false end
local record = cjson.decode(json)
local allowed = tonumber(ARGV[2])
if allowed >= 0 then
  local ok = false
  for i = 3, 2 + allowed do if ARGV[i] == record.status then ok = true end end
  if not ok then return false end
else
  allowed = 0
end
local previous = record.providerMessageId or ''
for i = 3 + allowed, #ARGV, 2 do record[ARGV[i]] = cjson.decode(ARGV[i + 1]) end
record.updatedAt = ARGV[1]
json = cjson.encode(record)
redis.call('hset', KEYS[1], 'j', json)
return {previous, json}
`,
  },
} as const;

export type RedisScriptName = keyof typeof redisScripts;
