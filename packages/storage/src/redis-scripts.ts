// The Lua scripts behind RedisStore. Each one is a single atomic step: a state change and the counters and
// indexes that describe it move together or not at all. Every script is also safe to run twice (a client may
// resend a command whose reply was lost), because it checks the state it changes.
//
// Inbox keys of one user all start with `<prefix>{u:<userId>}:` (ARGV "base"), so they share a Redis Cluster
// hash slot; scripts derive the per-item key names from that base. Layout under the base:
//   counts     hash: `pos` = last position, `#` = unread total, `t:<type>` = unread of that type (removed at zero),
//              `e` = unseen total; archived items count in none of them
//   i:<id>     hash: j = item JSON (without position and state), p = position, t = type,
//              r = readAt, d = deliveredAt, s = seenAt, z = archivedAt, v = 1 (counted as unseen on insert; an item
//              stored before seen existed lacks it and is taken as seen, so the unseen counter never drifts)
//   x          one sorted set holding every listing index, ordered by member (all scores 0). A member is
//              <set prefix><position, 12 digits><id>; set prefixes: `a/` all, `u/` unread, `r/` read,
//              `n/` undelivered, and per type `A#<bytes>:<type>/` (likewise U, R, N). These hold unarchived items;
//              archived items sit in the same sets behind a `z` (`za/`, `zu/`, `zr/`, `zn/`, `ZA#…`, …), so each
//              item has exactly one member per set either way. `e/` holds the unseen unarchived items. One key
//              instead of twenty keeps a new user's first insert cheap; ZRANGEBYLEX over a prefix pages any index
//              in O(log n + limit).
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

/**
 * Lua helpers shared by the inbox scripts. An item's state changes through `change`: it works out the index
 * members and counter weights before and after, moves only the members that differ, and tallies the counters,
 * which `flush` writes once per call.
 */
const inboxHelpers = `
local function pad(pos) return string.format('%012d', pos) end
local function typed(set, t) return set .. '#' .. #t .. ':' .. t .. '/' end
-- An item's state; nil when the user has no such item. Absent fields are false; an item from before seen existed
-- (no v) was never counted as unseen, so it is taken as seen.
local function load(base, id)
  local key = base .. 'i:' .. id
  local v = redis.call('hmget', key, 'p', 't', 'r', 'd', 's', 'z', 'v')
  if not v[1] then return nil end
  local seenAt = v[5] or (not v[7] and '')
  return { key = key, id = id, p = pad(tonumber(v[1])) .. id, t = v[2], r = v[3], d = v[4], s = seenAt, z = v[6] }
end
-- The listing index members of an item in its current state.
local function members(item)
  local lower, upper = '', ''
  if item.z then lower, upper = 'z', 'Z' end
  local status, typedStatus = 'u', 'U'
  if item.r then status, typedStatus = 'r', 'R' end
  local p, t = item.p, item.t
  local out = { lower .. 'a/' .. p, typed(upper .. 'A', t) .. p, lower .. status .. '/' .. p,
    typed(upper .. typedStatus, t) .. p }
  if not item.d then
    out[#out + 1] = lower .. 'n/' .. p
    out[#out + 1] = typed(upper .. 'N', t) .. p
  end
  if not item.s and not item.z then out[#out + 1] = 'e/' .. p end
  return out
end
-- What an item adds to the counters: unread, unseen (archived items add nothing).
local function weigh(item)
  if item.z then return 0, 0 end
  local unread, unseen = 1, 1
  if item.r then unread = 0 end
  if item.s then unseen = 0 end
  return unread, unseen
end
local function newTally() return { unread = 0, unseen = 0, byType = {}, changed = {} } end
-- Applies mutate(item) (which writes the item hash and sets the item's fields), then moves the index members
-- that differ and tallies the counter changes.
local function change(base, item, tally, mutate)
  local before = members(item)
  local unreadBefore, unseenBefore = weigh(item)
  mutate(item)
  local after = members(item)
  local unreadAfter, unseenAfter = weigh(item)
  local kept = {}
  for _, m in ipairs(after) do kept[m] = true end
  local gone = {}
  for _, m in ipairs(before) do
    if kept[m] then kept[m] = false else gone[#gone + 1] = m end
  end
  if #gone > 0 then redis.call('zrem', base .. 'x', unpack(gone)) end
  local added = {}
  for _, m in ipairs(after) do
    if kept[m] then
      added[#added + 1] = 0
      added[#added + 1] = m
    end
  end
  if #added > 0 then redis.call('zadd', base .. 'x', unpack(added)) end
  local unread = unreadAfter - unreadBefore
  tally.unread = tally.unread + unread
  tally.unseen = tally.unseen + unseenAfter - unseenBefore
  if unread ~= 0 then tally.byType[item.t] = (tally.byType[item.t] or 0) + unread end
  tally.changed[#tally.changed + 1] = item.id
end
-- Writes a call's counter changes, dropping a counter at zero.
local function flush(counts, tally)
  local function add(field, delta)
    if delta == 0 then return end
    if redis.call('hincrby', counts, field, delta) <= 0 then redis.call('hdel', counts, field) end
  end
  add('#', tally.unread)
  add('e', tally.unseen)
  for t, delta in pairs(tally.byType) do add('t:' .. t, delta) end
end
-- The state changes, by name. Each one answers whether it applies to the item, then applies it.
local function read(base, at, atMs)
  return function(item)
    item.r = at
    redis.call('hset', item.key, 'r', at)
    -- A read item is seen.
    if not item.s then
      item.s = at
      redis.call('hset', item.key, 's', at)
    end
    redis.call('zadd', base .. 'readat', atMs, item.id)
  end
end
local function unread(base)
  return function(item)
    item.r = false
    redis.call('hdel', item.key, 'r')
    redis.call('zrem', base .. 'readat', item.id)
  end
end
local function seen(at)
  return function(item)
    item.s = at
    redis.call('hset', item.key, 's', at)
  end
end
local function archived(at)
  return function(item)
    item.z = at
    redis.call('hset', item.key, 'z', at)
  end
end
local function unarchived(item)
  item.z = false
  redis.call('hdel', item.key, 'z')
end
local function delivered(at)
  return function(item)
    item.d = at
    redis.call('hset', item.key, 'd', at)
  end
end
-- One change over ids: op is read | unread | seen | archive | unarchive | deliver.
local function changeIds(base, op, at, atMs, ids, from)
  local tally = newTally()
  local mutate, applies
  if op == 'read' then mutate, applies = read(base, at, atMs), function(item) return not item.r end
  elseif op == 'unread' then mutate, applies = unread(base), function(item) return item.r end
  elseif op == 'seen' then mutate, applies = seen(at), function(item) return not item.s end
  elseif op == 'archive' then mutate, applies = archived(at), function(item) return not item.z end
  elseif op == 'unarchive' then mutate, applies = unarchived, function(item) return item.z end
  else mutate, applies = delivered(at), function(item) return not item.d end end
  for i = from, #ids do
    local item = load(base, ids[i])
    if item and applies(item) then change(base, item, tally, mutate) end
  end
  return tally
end
`;

/** Lua helpers shared by the device scripts (see the Devices section below). */
const deviceHelpers = `
-- Stores the device as the user's newest: one past the highest registration order.
local function addNewest(base, token, json)
  local order = base .. 'devorder'
  local last = redis.call('zrange', order, -1, -1, 'WITHSCORES')
  local newest = 1
  if last[2] then newest = tonumber(last[2]) + 1 end
  redis.call('hset', base .. 'devices', token, json)
  redis.call('zadd', order, newest, token)
  -- Devices stored before registration order was kept count as the oldest.
  if redis.call('hlen', base .. 'devices') > redis.call('zcard', order) then
    for _, each in ipairs(redis.call('hkeys', base .. 'devices')) do
      if not redis.call('zscore', order, each) then redis.call('zadd', order, 0, each) end
    end
  end
end
-- Takes the user's oldest devices off their list while it is longer than the cap; returns {token, JSON} of each.
local function overCap(base, cap)
  local order = base .. 'devorder'
  local removed = {}
  local excess = redis.call('zcard', order) - cap
  if excess <= 0 then return removed end
  for _, token in ipairs(redis.call('zrange', order, 0, excess - 1)) do
    removed[#removed + 1] = {token, redis.call('hget', base .. 'devices', token) or ''}
    redis.call('hdel', base .. 'devices', token)
    redis.call('zrem', order, token)
  end
  return removed
end
`;

/** The scripts, keyed by the command name they are registered under (`defineCommand`). */
export const redisScripts = {
  /**
   * Inserts items, possibly of several users (on a single Redis; a Cluster gets one user per call).
   * KEYS[1] = the first item's base..'counts' (routes the call). ARGV: count, then base, id, type, json per item.
   * Returns one entry per item: the new position, or `{p, j, r, d, s, z}` of the item the user already had.
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
    out[i + 1] = redis.call('hmget', key, 'p', 'j', 'r', 'd', 's', 'z')
  else
    local c = counts[base]
    local tf = 't:' .. t
    if not c then
      local v = redis.call('hmget', base .. 'counts', 'pos', '#', 'e', tf)
      c = { pos = tonumber(v[1] or '0'), total = tonumber(v[2] or '0'), unseen = tonumber(v[3] or '0'), types = {} }
      c.types[tf] = tonumber(v[4] or '0')
      counts[base] = c
    elseif not c.types[tf] then
      c.types[tf] = tonumber(redis.call('hget', base .. 'counts', tf) or '0')
    end
    c.pos = c.pos + 1
    c.total = c.total + 1
    c.unseen = c.unseen + 1
    c.types[tf] = c.types[tf] + 1
    local tp = prefixes[t]
    if not tp then
      tp = { typed('A', t), typed('U', t), typed('N', t) }
      prefixes[t] = tp
    end
    redis.call('hset', key, 'j', ARGV[5 + i * 4], 'p', c.pos, 't', t, 'v', 1)
    local p = pad(c.pos) .. id
    redis.call('zadd', base .. 'x', 0, 'a/' .. p, 0, tp[1] .. p, 0, 'u/' .. p, 0, tp[2] .. p, 0, 'n/' .. p, 0, tp[3] .. p,
      0, 'e/' .. p)
    out[i + 1] = c.pos
  end
end
for base, c in pairs(counts) do
  local fields = { 'pos', c.pos, '#', c.total, 'e', c.unseen }
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
   * A page, newest first, of one index or of two merged (unarchived and archived items together). KEYS[1] =
   * base..'x'. ARGV: base, count, then per index: max bound, min bound, prefix length. Returns {p, j, r, d, s, z}
   * per item.
   */
  heraldInboxPage: {
    numberOfKeys: 1,
    lua: `
local base = ARGV[1]
local count = tonumber(ARGV[2])
local lists = {}
for i = 3, #ARGV, 3 do
  local skip = tonumber(ARGV[i + 2])
  local found = redis.call('zrevrangebylex', KEYS[1], ARGV[i], ARGV[i + 1], 'LIMIT', 0, count)
  local list = {}
  for j, m in ipairs(found) do list[j] = { string.sub(m, skip + 1, skip + 12), string.sub(m, skip + 13) } end
  lists[#lists + 1] = list
end
local out = {}
local a, b = lists[1], lists[2] or {}
local i, j = 1, 1
while #out < count and (a[i] or b[j]) do
  local pick
  if a[i] and (not b[j] or a[i][1] > b[j][1]) then
    pick = a[i]
    i = i + 1
  else
    pick = b[j]
    j = j + 1
  end
  out[#out + 1] = redis.call('hmget', base .. 'i:' .. pick[2], 'p', 'j', 'r', 'd', 's', 'z')
end
return out
`,
  },

  /**
   * Items after a position, oldest first, archived ones included. KEYS[1] = base..'x'. ARGV: base, first position
   * (12 digits), count. {p, j, r, d, s, z}...
   */
  heraldInboxAfter: {
    numberOfKeys: 1,
    lua: `
local base = ARGV[1]
local count = tonumber(ARGV[3])
local live = redis.call('zrangebylex', KEYS[1], '[a/' .. ARGV[2], '(a/:', 'LIMIT', 0, count)
local gone = redis.call('zrangebylex', KEYS[1], '[za/' .. ARGV[2], '(za/:', 'LIMIT', 0, count)
local out = {}
local i, j = 1, 1
while #out < count and (live[i] or gone[j]) do
  local id
  if live[i] and (not gone[j] or string.sub(live[i], 3, 14) < string.sub(gone[j], 4, 15)) then
    id = string.sub(live[i], 15)
    i = i + 1
  else
    id = string.sub(gone[j], 16)
    j = j + 1
  end
  out[#out + 1] = redis.call('hmget', base .. 'i:' .. id, 'p', 'j', 'r', 'd', 's', 'z')
end
return out
`,
  },

  /**
   * A state change over ids. KEYS[1] = base..'counts'. ARGV: base, op (read | unread | seen | archive | unarchive |
   * deliver), at (ISO; '' for unread and unarchive), at epoch ms, ids... Returns the ids that changed.
   */
  heraldInboxChange: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local tally = changeIds(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV, 5)
flush(KEYS[1], tally)
return tally.changed
`,
  },

  /**
   * A bulk change up to a watermark: up to `chunk` unarchived items with position <= maxPosition, of one index —
   * op `read` walks the unread index (`u/`, or one type's), `seen` the unseen one (`e/`), `archive` the read one
   * (`r/`, or one type's). Changed items leave the index walked, so each call starts from its beginning.
   * KEYS[1] = base..'counts'. ARGV: base, op, at, at epoch ms, maxPosition ('' = the current last position),
   * type ('' = all), chunk. Returns {changed, maxPosition, hasMore}.
   */
  heraldInboxChangeAll: {
    numberOfKeys: 1,
    lua: `${inboxHelpers}
local base = ARGV[1]
local op = ARGV[2]
local maxPos = ARGV[5]
if maxPos == '' then maxPos = redis.call('hget', KEYS[1], 'pos') or '0' end
local prefix
if op == 'seen' then prefix = 'e/'
elseif op == 'read' then
  if ARGV[6] == '' then prefix = 'u/' else prefix = typed('U', ARGV[6]) end
else
  if ARGV[6] == '' then prefix = 'r/' else prefix = typed('R', ARGV[6]) end
end
local chunk = tonumber(ARGV[7])
local found = redis.call('zrangebylex', base .. 'x', '[' .. prefix, '(' .. prefix .. pad(tonumber(maxPos) + 1),
  'LIMIT', 0, chunk + 1)
local ids = {}
for i = 1, math.min(#found, chunk) do ids[i] = string.sub(found[i], #prefix + 13) end
local tally = changeIds(base, op, ARGV[3], ARGV[4], ids, 1)
flush(KEYS[1], tally)
local hasMore = 0
if #found > chunk then hasMore = 1 end
return {#tally.changed, maxPos, hasMore}
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
local tally = newTally()
for _, id in ipairs(ids) do
  local item = load(base, id)
  if item then
    local unreadWeight, unseenWeight = weigh(item)
    tally.unread = tally.unread - unreadWeight
    tally.unseen = tally.unseen - unseenWeight
    if unreadWeight ~= 0 then tally.byType[item.t] = (tally.byType[item.t] or 0) - unreadWeight end
    redis.call('zrem', base .. 'x', unpack(members(item)))
    redis.call('del', item.key)
  end
  redis.call('zrem', KEYS[1], id)
end
flush(base .. 'counts', tally)
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

  // Devices. `{dev:<token>}` holds the token's owner: the truth. Under each user's base, `devices` is a hash
  // token → device JSON and `devorder` a sorted set token → registration order (newest highest), so the devices
  // registered longest ago are the first in it.

  /**
   * A registration on a single Redis, whole: refuses a token another user holds unless take-over is asked, moves
   * it, stores the device as the user's newest and evicts the oldest beyond the cap. KEYS[1] = the token key.
   * ARGV: prefix, userId, token, device JSON, '1' to take over, the cap.
   * Returns {'taken'}, or {'registered', the taken-over device's JSON or '', evicted devices' JSON...}.
   */
  heraldDeviceRegister: {
    numberOfKeys: 1,
    lua: `${deviceHelpers}
local prefix, user, token = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('get', KEYS[1])
if owner and owner ~= user and ARGV[5] ~= '1' then return {'taken'} end
local out = {'registered', ''}
if owner and owner ~= user then
  local previous = prefix .. '{u:' .. owner .. '}:'
  out[2] = redis.call('hget', previous .. 'devices', token) or ''
  redis.call('hdel', previous .. 'devices', token)
  redis.call('zrem', previous .. 'devorder', token)
end
redis.call('set', KEYS[1], user)
local base = prefix .. '{u:' .. user .. '}:'
addNewest(base, token, ARGV[4])
for _, entry in ipairs(overCap(base, tonumber(ARGV[6]))) do
  local tokenKey = prefix .. '{dev:' .. entry[1] .. '}'
  -- An entry whose token another user holds (left by a Cluster's step, or an older version) goes quietly.
  if redis.call('get', tokenKey) == user then
    redis.call('del', tokenKey)
    out[#out + 1] = entry[2]
  end
end
return out
`,
  },

  /**
   * A Cluster registration's first step, on the token's slot: claims the token for the user unless another user
   * holds it and take-over is not asked. KEYS[1] = the token key. ARGV: userId, '1' to take over.
   * Returns {'taken'} or {'claimed', the previous owner or ''}.
   */
  heraldDeviceClaim: {
    numberOfKeys: 1,
    lua: `
local owner = redis.call('get', KEYS[1])
if owner and owner ~= ARGV[1] and ARGV[2] ~= '1' then return {'taken'} end
redis.call('set', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[1] then return {'claimed', owner} end
return {'claimed', ''}
`,
  },

  /**
   * A Cluster registration's second step, on the user's slot: stores the device as the user's newest and takes the
   * oldest beyond the cap off the user's list. KEYS[1] = the user's `devices` hash. ARGV: the user's base, token,
   * device JSON, the cap. Returns the removed entries' tokens and JSON, alternating.
   */
  heraldDeviceAdd: {
    numberOfKeys: 1,
    lua: `${deviceHelpers}
addNewest(ARGV[1], ARGV[2], ARGV[3])
local out = {}
for _, entry in ipairs(overCap(ARGV[1], tonumber(ARGV[4]))) do
  out[#out + 1] = entry[1]
  out[#out + 1] = entry[2]
end
return out
`,
  },

  /**
   * Takes a device off a user's list only if the entry is still the one read. KEYS[1] = the user's `devices` hash.
   * ARGV: the user's base, token, the JSON read. Returns 1 when removed.
   */
  heraldDeviceDropIfEqual: {
    numberOfKeys: 1,
    lua: `
if redis.call('hget', KEYS[1], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('hdel', KEYS[1], ARGV[2])
redis.call('zrem', ARGV[1] .. 'devorder', ARGV[2])
return 1
`,
  },

  /**
   * A removal on a single Redis, whole. KEYS[1] = the token key. ARGV: prefix, token, the owner it must have ('' for
   * any). Returns the removed device's JSON, or false.
   */
  heraldDeviceRemove: {
    numberOfKeys: 1,
    lua: `
local owner = redis.call('get', KEYS[1])
if not owner or (ARGV[3] ~= '' and owner ~= ARGV[3]) then return false end
local base = ARGV[1] .. '{u:' .. owner .. '}:'
local json = redis.call('hget', base .. 'devices', ARGV[2])
redis.call('hdel', base .. 'devices', ARGV[2])
redis.call('zrem', base .. 'devorder', ARGV[2])
redis.call('del', KEYS[1])
return json or false
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
   * Reads many delivery records in one call, on a single Redis. KEYS[1] routes the call (the first record's key).
   * ARGV: prefix, then the ids. Returns each record's JSON, or false where there is none, in input order.
   */
  heraldDeliveriesGet: {
    numberOfKeys: 1,
    lua: `
local prefix = ARGV[1]
local out = {}
for i = 2, #ARGV do out[i - 1] = redis.call('hget', prefix .. '{d:' .. ARGV[i] .. '}', 'j') end
return out
`,
  },

  /**
   * Applies many conditional updates in one call, on a single Redis, in input order (an id given twice sees its first
   * update), each as heraldDeliveryUpdate does, and keeps the provider-message-id lookup in step in the same step.
   * KEYS[1] routes the call (the first record's key). ARGV: prefix, updatedAt, then per update: id, number of allowed
   * statuses (-1 for any), the statuses, number of fields, then field, JSON value pairs. Returns per update false
   * (missing or not allowed) or the record's JSON.
   */
  heraldDeliveriesUpdate: {
    numberOfKeys: 1,
    lua: `
local prefix, updatedAt = ARGV[1], ARGV[2]
local out = {}
local at = 3
local n = 0
while at <= #ARGV do
  local id = ARGV[at]
  local allowed = tonumber(ARGV[at + 1])
  local statusCount = allowed
  if statusCount < 0 then statusCount = 0 end
  local statusesAt = at + 2
  local fieldCount = tonumber(ARGV[statusesAt + statusCount])
  local fieldsAt = statusesAt + statusCount + 1
  local nextAt = fieldsAt + fieldCount * 2
  n = n + 1
  out[n] = false
  local key = prefix .. '{d:' .. id .. '}'
  local json = redis.call('hget', key, 'j')
  if json then
    local record = cjson.decode(json)
    local ok = allowed < 0
    for i = statusesAt, statusesAt + statusCount - 1 do if ARGV[i] == record.status then ok = true end end
    if ok then
      local previous = record.providerMessageId
      for i = fieldsAt, nextAt - 1, 2 do record[ARGV[i]] = cjson.decode(ARGV[i + 1]) end
      record.updatedAt = updatedAt
      json = cjson.encode(record)
      redis.call('hset', key, 'j', json)
      local current = record.providerMessageId
      if current ~= previous then
        if current then redis.call('set', prefix .. '{pm:' .. current .. '}', id) end
        if previous and redis.call('get', prefix .. '{pm:' .. previous .. '}') == id then
          redis.call('del', prefix .. '{pm:' .. previous .. '}')
        end
      end
      out[n] = json
    end
  end
  at = nextAt
end
return out
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

  // Digests and throttles. A recipient's digest keys sit under their base, beside the inbox (one slot):
  //   dg:<id>    hash, one bucket: k = key, t = type, s = open | closed, o = openedAt, c / cm = closesAt (ISO, ms),
  //              cap / capm = its cap (ISO, ms; sliding windows), x = 1 once expedited (joins no longer move it),
  //              n = event count, q = last event sequence, and e:<notificationId> = '<sequence>:<event JSON>' per event
  //   dk:<key>   hash, one digest key: o = the bucket its joins go to (absent once that one is closed or full), and
  //              e:<notificationId> = the bucket each event went to, so a join repeated later changes nothing
  //   th:<key>   sorted set, one throttle log: the members let through, scored by when (epoch ms); at most `limit`
  // The open buckets of every recipient are indexed on a slot of their own, `{digests}`: a sorted set `open` (all
  // scores 0, ordered by member '<id>\0<recipientId>', so by id) and a hash `open-keys` from member to the JSON of
  // [recipientId, key] (a Cluster adds a token, see RedisStore). A single Redis updates them in the join and close
  // scripts; a Cluster updates them in separate, ordered steps.

  /**
   * Joins, in order, each one atomic: an event already placed answers with its bucket; otherwise it joins the key's
   * open bucket (sliding its close later, up to the cap, unless due or expedited; a bucket reaching maxEvents becomes
   * due and stops taking joins), or opens bucket openAs (answering with openAs unchanged when that id is taken).
   * KEYS[1] routes the call (a Cluster: a key of the one recipient). ARGV: mode ('open', or 'join': a join that
   * would open answers {''} and changes nothing), index sorted set and hash ('' to leave the index alone), then 16
   * per join: base, key, openAs, type, notificationId, event JSON, at, at ms, closesAt, closesAt ms, slideTo,
   * slideTo ms ('' for none), capAt, capAt ms ('' for none), maxEvents, recipientId.
   * Returns {digestId, opened, joined, closesAt, count} per join.
   */
  heraldDigestsJoin: {
    numberOfKeys: 1,
    lua: `
local mode, index, indexKeys = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV, 16 do
  local base, key, openAs, nid, json = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 4], ARGV[i + 5]
  local atIso, atMs = ARGV[i + 6], ARGV[i + 7]
  local maxEvents = tonumber(ARGV[i + 14])
  local kk = base .. 'dk:' .. key
  local ef = 'e:' .. nid
  local v = redis.call('hmget', kk, ef, 'o')
  if v[1] then
    local b = redis.call('hmget', base .. 'dg:' .. v[1], 'c', 'n')
    out[#out + 1] = {v[1], 0, 0, b[1], tonumber(b[2])}
  elseif v[2] then
    local id = v[2]
    local bk = base .. 'dg:' .. id
    local b = redis.call('hmget', bk, 'cm', 'c', 'n', 'q', 'x', 'capm', 'cap')
    local cm, c = b[1], b[2]
    local slideMs = ARGV[i + 11]
    if slideMs ~= '' and not b[5] and tonumber(cm) > tonumber(atMs) then
      local to, toIso = slideMs, ARGV[i + 10]
      if b[6] and tonumber(b[6]) < tonumber(to) then to, toIso = b[6], b[7] end
      if tonumber(to) > tonumber(cm) then cm, c = to, toIso end
    end
    local count = tonumber(b[3]) + 1
    local seq = tonumber(b[4]) + 1
    if count >= maxEvents then
      if tonumber(atMs) < tonumber(cm) then cm, c = atMs, atIso end
      redis.call('hdel', kk, 'o')
    end
    redis.call('hset', bk, ef, seq .. ':' .. json, 'n', count, 'q', seq, 'c', c, 'cm', cm)
    redis.call('hset', kk, ef, id)
    out[#out + 1] = {id, 0, 1, c, count}
  elseif mode == 'join' then
    out[#out + 1] = {''}
  else
    local bk = base .. 'dg:' .. openAs
    local b = redis.call('hmget', bk, 'c', 'n')
    if b[1] then
      out[#out + 1] = {openAs, 0, 0, b[1], tonumber(b[2])}
    else
      local c, cm = ARGV[i + 8], ARGV[i + 9]
      local full = maxEvents <= 1
      if full and tonumber(atMs) < tonumber(cm) then c, cm = atIso, atMs end
      redis.call('hset', bk, 'k', key, 't', ARGV[i + 3], 's', 'open', 'o', atIso, 'c', c, 'cm', cm, 'n', 1, 'q', 1,
        ef, '1:' .. json)
      if ARGV[i + 13] ~= '' then redis.call('hset', bk, 'cap', ARGV[i + 12], 'capm', ARGV[i + 13]) end
      if full then redis.call('hset', kk, ef, openAs) else redis.call('hset', kk, ef, openAs, 'o', openAs) end
      if index ~= '' then
        local recipient = ARGV[i + 15]
        local member = openAs .. '\\0' .. recipient
        redis.call('zadd', index, 0, member)
        redis.call('hset', indexKeys, member, cjson.encode({recipient, key}))
      end
      out[#out + 1] = {openAs, 1, 1, c, 1}
    end
  end
end
return out
`,
  },

  /**
   * Claims an open bucket that is due at `at`, or reports it. KEYS[1] = the bucket. ARGV: base, id, at ms, index
   * sorted set and hash ('' to leave the index alone), recipientId. Returns false when missing, {'open', closesAt}
   * when not due, or {'closed', 1 when closed by this call else 0, the bucket's fields}.
   */
  heraldDigestClose: {
    numberOfKeys: 1,
    lua: `
local b = redis.call('hmget', KEYS[1], 's', 'cm', 'k', 'c')
if not b[1] then return false end
if b[1] ~= 'open' then return {'closed', 0, redis.call('hgetall', KEYS[1])} end
if tonumber(b[2]) > tonumber(ARGV[3]) then return {'open', b[4]} end
redis.call('hset', KEYS[1], 's', 'closed')
local kk = ARGV[1] .. 'dk:' .. b[3]
if redis.call('hget', kk, 'o') == ARGV[2] then redis.call('hdel', kk, 'o') end
if ARGV[4] ~= '' then
  local member = ARGV[2] .. '\\0' .. ARGV[6]
  redis.call('zrem', ARGV[4], member)
  redis.call('hdel', ARGV[5], member)
end
return {'closed', 1, redis.call('hgetall', KEYS[1])}
`,
  },

  /**
   * Moves an open bucket's close to `at` when that is earlier, and stops joins from moving it again. KEYS[1] = the
   * bucket. ARGV: at, at ms. Returns the bucket's fields, or false when missing.
   */
  heraldDigestExpedite: {
    numberOfKeys: 1,
    lua: `
local b = redis.call('hmget', KEYS[1], 's', 'cm')
if not b[1] then return false end
if b[1] == 'open' then
  redis.call('hset', KEYS[1], 'x', 1)
  if tonumber(ARGV[2]) < tonumber(b[2]) then redis.call('hset', KEYS[1], 'c', ARGV[1], 'cm', ARGV[2]) end
end
return redis.call('hgetall', KEYS[1])
`,
  },

  /**
   * Takes an event out of an open bucket. KEYS[1] = the bucket. ARGV: base, id, notificationId. Returns 1 when it
   * was there, else 0.
   */
  heraldDigestLeave: {
    numberOfKeys: 1,
    lua: `
local b = redis.call('hmget', KEYS[1], 's', 'k')
if b[1] ~= 'open' then return 0 end
local ef = 'e:' .. ARGV[3]
if redis.call('hdel', KEYS[1], ef) == 0 then return 0 end
redis.call('hincrby', KEYS[1], 'n', -1)
local kk = ARGV[1] .. 'dk:' .. b[2]
if redis.call('hget', kk, ef) == ARGV[2] then redis.call('hdel', kk, ef) end
return 1
`,
  },

  /**
   * A page of open buckets whose key starts with a prefix, in id order, on a single Redis. KEYS[1] = index sorted
   * set, KEYS[2] = index hash. ARGV: store prefix, lower bound (exclusive member, or '-'), key prefix, most buckets,
   * most members looked at, most events. Returns {last member looked at, 1 when the index has no more, {id,
   * recipientId, fields} per bucket}.
   */
  heraldDigestsOpenPage: {
    numberOfKeys: 2,
    lua: `
local prefix, keyPrefix = ARGV[1], ARGV[3]
local limit, scan, maxEvents = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local members = redis.call('zrangebylex', KEYS[1], ARGV[2], '+', 'LIMIT', 0, scan)
local out, events, last, looked = {}, 0, '', 0
for _, member in ipairs(members) do
  if #out >= limit or events >= maxEvents then break end
  last = member
  looked = looked + 1
  local v = redis.call('hget', KEYS[2], member)
  if v then
    local entry = cjson.decode(v)
    local recipient, key = entry[1], entry[2]
    if string.sub(key, 1, #keyPrefix) == keyPrefix then
      local id = string.sub(member, 1, #member - #recipient - 1)
      local bk = prefix .. '{u:' .. recipient .. '}:dg:' .. id
      local b = redis.call('hmget', bk, 's', 'n')
      if b[1] == 'open' then
        out[#out + 1] = {id, recipient, redis.call('hgetall', bk)}
        events = events + tonumber(b[2])
      end
    end
  end
end
local done = 0
if looked == #members and #members < scan then done = 1 end
return {last, done, out}
`,
  },

  /**
   * The index entries whose key starts with a prefix, in id order (a Cluster: the buckets live on other slots and
   * are read next). KEYS[1] = index sorted set, KEYS[2] = index hash. ARGV: lower bound (exclusive member, or '-'),
   * key prefix, most entries, most members looked at. Returns {last member looked at, 1 when the index has no more,
   * {member, entry JSON} per entry}.
   */
  heraldDigestsIndexPage: {
    numberOfKeys: 2,
    lua: `
local keyPrefix, limit, scan = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local members = redis.call('zrangebylex', KEYS[1], ARGV[1], '+', 'LIMIT', 0, scan)
local out, last, looked = {}, '', 0
for _, member in ipairs(members) do
  if #out >= limit then break end
  last = member
  looked = looked + 1
  local v = redis.call('hget', KEYS[2], member)
  if v and string.sub(cjson.decode(v)[2], 1, #keyPrefix) == keyPrefix then out[#out + 1] = {member, v} end
end
local done = 0
if looked == #members and #members < scan then done = 1 end
return {last, done, out}
`,
  },

  /** Adds index entries (a Cluster). KEYS[1] = index sorted set, KEYS[2] = index hash. ARGV: member, entry JSON... */
  heraldDigestIndexAdd: {
    numberOfKeys: 2,
    lua: `
for i = 1, #ARGV, 2 do
  redis.call('zadd', KEYS[1], 0, ARGV[i])
  redis.call('hset', KEYS[2], ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
`,
  },

  /**
   * Drops index entries (a Cluster), each only while it still holds the given entry JSON ('' drops it whatever it
   * holds). KEYS[1] = index sorted set, KEYS[2] = index hash. ARGV: member, entry JSON or ''... Returns how many.
   */
  heraldDigestIndexDrop: {
    numberOfKeys: 2,
    lua: `
local dropped = 0
for i = 1, #ARGV, 2 do
  local member = ARGV[i]
  if ARGV[i + 1] == '' or redis.call('hget', KEYS[2], member) == ARGV[i + 1] then
    dropped = dropped + redis.call('zrem', KEYS[1], member)
    redis.call('hdel', KEYS[2], member)
  end
end
return dropped
`,
  },

  /**
   * Takes throttle slots, in order, each one atomic: members let through before `since` drop out of the log; a
   * member in the log is let through again without counting twice; a new one is let through while the log holds
   * fewer than `limit`. KEYS[1] routes the call. ARGV: 7 per request: base, key, member, limit, since (ms), at (ms),
   * time to live of the log (ms). Returns 1 (let through) or 0 per request.
   */
  heraldThrottlesTake: {
    numberOfKeys: 1,
    lua: `
local out = {}
for i = 1, #ARGV, 7 do
  local k = ARGV[i] .. 'th:' .. ARGV[i + 1]
  local member = ARGV[i + 2]
  redis.call('zremrangebyscore', k, '-inf', '(' .. ARGV[i + 4])
  local ok = 0
  if redis.call('zscore', k, member) then
    ok = 1
  elseif redis.call('zcard', k) < tonumber(ARGV[i + 3]) then
    redis.call('zadd', k, ARGV[i + 5], member)
    ok = 1
  end
  if ok == 1 then
    local ttl = tonumber(ARGV[i + 6])
    if redis.call('pttl', k) < ttl then redis.call('pexpire', k, ttl) end
  end
  out[#out + 1] = ok
end
return out
`,
  },
} as const;

export type RedisScriptName = keyof typeof redisScripts;
