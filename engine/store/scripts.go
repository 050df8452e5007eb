package store

import "github.com/redis/go-redis/v9"

// The Lua scripts of the commit protocol (DESIGN §4). Each touches only the two keys of one
// instance, which share the hash tag {<instanceId>}, so each is one atomic step on one slot, in
// Redis and in Redis Cluster alike. Time comes from Redis (TIME), so worker clocks never decide
// whether a lease is live.
//
// Layout of the outbox hash KEYS[2] for a job id J:
//
//	J       the job envelope (msgpack, opaque here)
//	J:l     the lease "<fence>|<expiryMs>|<owner>", present while leased
//	J:a     attempts that failed so far
//	J:i     the incident (JSON) once retries are exhausted
//	J:r     how often the reconciler republished it
//	J:f     the last failed attempt's fence and answer, so a retried fail answers the same
//	J:x     how often its lease expired and was taken over
//	J:u     a user task's current assignee, once claimed or unclaimed
//	J:g    the attempts an operator gave the job when resolving its incident
//
// Fields of the instance hash KEYS[1]: ver, state, status, def, key, bk, created, ended (Unix ms,
// once completed or cancelled), susp (while suspended), fence (the
// fencing-token counter), xl ("<jobId>|<expiryMs>": the live exclusive lease), lj and lf (the last
// committed job and its fence, so a retried commit answers DONE), inc (open incidents).

const luaNow = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

const luaClearExclusive = `
local function clear_xl(id)
  local xl = redis.call('HGET', KEYS[1], 'xl')
  if xl and string.sub(xl, 1, #id + 1) == id .. '|' then redis.call('HDEL', KEYS[1], 'xl') end
end
`

// claimScript: ARGV = id, owner, leaseMs, exclusive(0|1), maxExpiries. The owner carries a
// nonce per claim call, so a client retry of the same claim gets its lease back instead of
// LEASED. Taking over an expired lease counts in J:x; at maxExpiries (0: never) the job raises
// an incident instead: its worker keeps dying or hanging inside it.
// Returns {'OK', fence, ver, state, attempts, expiry, tookOver (1: an expired lease was taken
// over)} | {'STALE'} | {'INCIDENT'} | {'SUSPENDED'} (the instance is suspended) |
// {'LEASED', msLeft} | {'BUSY', msLeft}.
var claimScript = redis.NewScript(`
local id = ARGV[1]
local j = redis.call('HMGET', KEYS[2], id, id .. ':i', id .. ':l', id .. ':a')
if not j[1] then return {'STALE'} end
if j[2] then return {'INCIDENT'} end
` + luaNow + `
if j[3] then
  local lf, lexp, lowner = string.match(j[3], '^(%d+)|(%d+)|(.*)$')
  lexp = tonumber(lexp)
  if lexp > now then
    if lowner == ARGV[2] then
      -- The same claim again (a client retry after a lost reply): the lease is already ours.
      local v = redis.call('HMGET', KEYS[1], 'ver', 'state')
      return {'OK', lf, v[1], v[2], j[4] or '0', tostring(lexp)}
    end
    return {'LEASED', tostring(lexp - now)}
  end
end
local excl = ARGV[4] == '1'
local h = redis.call('HMGET', KEYS[1], 'ver', 'state', 'fence', 'xl', 'susp')
if h[5] then return {'SUSPENDED'} end
if excl and h[4] then
  local xj, xexp = string.match(h[4], '^(.*)|(%d+)$')
  if xj ~= id and tonumber(xexp) > now then return {'BUSY', tostring(tonumber(xexp) - now)} end
end
if j[3] then
  -- Taking over an expired lease: its worker died or hung inside the job.
  local x = redis.call('HINCRBY', KEYS[2], id .. ':x', 1)
  if tonumber(ARGV[5]) > 0 and x >= tonumber(ARGV[5]) then
    redis.call('HDEL', KEYS[2], id .. ':l')
    redis.call('HSET', KEYS[2], id .. ':i', cjson.encode({jobId = id, attempts = x, time = now,
      error = 'the job\'s lease expired ' .. x .. ' times: the worker running it died or hung each time'}))
    redis.call('HINCRBY', KEYS[1], 'inc', 1)
    if redis.call('HGET', KEYS[1], 'status') == 'running' then redis.call('HSET', KEYS[1], 'status', 'incident') end
    return {'INCIDENT'}
  end
end
local exp = now + tonumber(ARGV[3])
local fence = tonumber(h[3] or '0') + 1
redis.call('HSET', KEYS[2], id .. ':l', fence .. '|' .. exp .. '|' .. ARGV[2])
if excl then
  redis.call('HSET', KEYS[1], 'fence', fence, 'xl', id .. '|' .. exp)
else
  redis.call('HSET', KEYS[1], 'fence', fence)
end
local took = '0'
if j[3] then took = '1' end
return {'OK', tostring(fence), h[1], h[2], j[4] or '0', tostring(exp), took}
`)

// renewScript: ARGV = id, fence, leaseMs, exclusive(0|1). Returns {'OK', expiry} | {'STALE'} |
// {'FENCED'}. A lease that expired may be renewed while nobody took the job, but not an
// exclusive one once another exclusive job of the instance holds the instance.
var renewScript = redis.NewScript(luaNow + `
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then return {'STALE'} end
local l = redis.call('HGET', KEYS[2], id .. ':l')
if not l or string.match(l, '^(%d+)|') ~= ARGV[2] then return {'FENCED'} end
local owner = string.match(l, '^%d+|%d+|(.*)$')
local exp = now + tonumber(ARGV[3])
if ARGV[4] == '1' then
  local xl = redis.call('HGET', KEYS[1], 'xl')
  if xl then
    local xj, xexp = string.match(xl, '^(.*)|(%d+)$')
    if xj ~= id and tonumber(xexp) > now then return {'FENCED'} end
  end
  redis.call('HSET', KEYS[1], 'xl', id .. '|' .. exp)
end
redis.call('HSET', KEYS[2], id .. ':l', ARGV[2] .. '|' .. exp .. '|' .. owner)
return {'OK', tostring(exp)}
`)

// luaApplyStep is the part of a step that commit and apply share. ARGV[4..] = state, status,
// history (the step's encoded events; empty for none), nNew, nNew pairs of (jobId, envelope),
// then the ids of jobs the step cancels. h holds the instance's ver, lj, lf, inc and xl; the
// function appends the history, adds and cancels jobs, and returns the new version and status.
const luaApplyStep = `
local function apply_step(h)
  if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[6]) end
  local n = tonumber(ARGV[7])
  for c = 8, 7 + 2 * n, 400 do
    redis.call('HSET', KEYS[2], unpack(ARGV, c, math.min(c + 399, 7 + 2 * n)))
  end
  if 8 + 2 * n <= #ARGV then
    for k = 8 + 2 * n, #ARGV do
      local r = ARGV[k]
      if h[5] and string.sub(h[5], 1, #r + 1) == r .. '|' then
        -- A cancelled job's exclusive lease goes with it, so the instance is not held BUSY.
        redis.call('HDEL', KEYS[1], 'xl')
        h[5] = false
      end
      if redis.call('HEXISTS', KEYS[2], r .. ':i') == 1 then
        -- A cancelled job's incident goes with it.
        h[4] = tostring(tonumber(h[4] or '0') - 1)
        redis.call('HSET', KEYS[1], 'inc', h[4])
      end
      redis.call('HDEL', KEYS[2], r, r .. ':l', r .. ':a', r .. ':r', r .. ':i', r .. ':f', r .. ':x', r .. ':u', r .. ':g')
    end
  end
  local status = ARGV[5]
  if status == 'running' and tonumber(h[4] or '0') > 0 then status = 'incident' end
  if (status == 'completed' or status == 'cancelled') and redis.call('HEXISTS', KEYS[1], 'ended') == 0 then
    -- When it ended, by Redis's clock: retention archives it RetainFor later. An ended
    -- instance is no longer suspended.
    local t = redis.call('TIME')
    redis.call('HSET', KEYS[1], 'ended', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
    redis.call('HDEL', KEYS[1], 'susp')
  end
  return tonumber(h[1]) + 1, status
end
`

// commitScript: KEYS[3] is the history list. ARGV = id, fence, expectedVer, then as
// luaApplyStep. Returns {'OK', ver} | {'DONE', ver} | {'STALE'} | {'FENCED'} | {'CONFLICT', ver}.
var commitScript = redis.NewScript(luaApplyStep + `
local id, fence = ARGV[1], ARGV[2]
local h = redis.call('HMGET', KEYS[1], 'ver', 'lj', 'lf', 'inc', 'xl')
if h[2] == id and h[3] == fence then return {'DONE', h[1]} end
local j = redis.call('HMGET', KEYS[2], id, id .. ':l')
if not j[1] then return {'STALE'} end
if not j[2] or string.match(j[2], '^(%d+)|') ~= fence then return {'FENCED'} end
if h[1] ~= ARGV[3] then return {'CONFLICT', h[1]} end
redis.call('HDEL', KEYS[2], id, id .. ':l', id .. ':a', id .. ':r', id .. ':f', id .. ':x', id .. ':u', id .. ':g')
local ver, status = apply_step(h)
if h[5] and string.sub(h[5], 1, #id + 1) == id .. '|' then redis.call('HDEL', KEYS[1], 'xl') end
redis.call('HSET', KEYS[1], 'ver', ver, 'state', ARGV[4], 'status', status, 'lj', id, 'lf', fence)
return {'OK', tostring(ver)}
`)

// applyScript applies a step that consumes no job of this instance: a child instance's result
// arriving at its call activity. KEYS[3] is the history list. ARGV = applyId (the job of the
// other instance that carries the result), its lease's fence, expectedVer, then as
// luaApplyStep. The instance remembers applyId and fence as its last commit, so a client retry
// of the same attempt answers DONE, and a stale attempt of the same job (another lease) does
// not. Returns {'OK', ver} | {'DONE', ver} | {'CONFLICT', ver} | {'NOTFOUND'}.
var applyScript = redis.NewScript(luaApplyStep + `
local h = redis.call('HMGET', KEYS[1], 'ver', 'lj', 'lf', 'inc', 'xl')
if not h[1] then return {'NOTFOUND'} end
if h[2] == ARGV[1] and h[3] == ARGV[2] then return {'DONE', h[1]} end
if h[1] ~= ARGV[3] then return {'CONFLICT', h[1]} end
local ver, status = apply_step(h)
redis.call('HSET', KEYS[1], 'ver', ver, 'state', ARGV[4], 'status', status, 'lj', ARGV[1], 'lf', ARGV[2])
return {'OK', tostring(ver)}
`)

// createScript: KEYS[3] is the history list, KEYS[4] the archive record (an archived id is not
// created again). ARGV = state, status, def, key, businessKey,
// created, history, nonce, nNew, pairs of (jobId, envelope). Returns {'OK', '1'} |
// {'EXISTS', ver}. The nonce makes a client retry of the same create answer OK.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return {'EXISTS', '0'} end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local e = redis.call('HMGET', KEYS[1], 'ver', 'cn')
  if e[2] == ARGV[8] then return {'OK', '1'} end
  return {'EXISTS', e[1]}
end
redis.call('HSET', KEYS[1], 'ver', 1, 'state', ARGV[1], 'status', ARGV[2], 'def', ARGV[3],
  'key', ARGV[4], 'bk', ARGV[5], 'created', ARGV[6], 'fence', 0, 'inc', 0, 'cn', ARGV[8])
if ARGV[2] == 'completed' then redis.call('HSET', KEYS[1], 'ended', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[7]) end
local i = 10
for k = 1, tonumber(ARGV[9]) do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
return {'OK', '1'}
`)

// failScript: ARGV = id, fence, maxAttempts, incidentJSON. maxAttempts 0 (a failure that would
// recur) raises the incident at once; otherwise J:g, when set, replaces it.
// Returns {'RETRY', attempts} | {'INCIDENT', attempts} | {'STALE'} | {'FENCED'}. It remembers
// its answer for the fence (J:f), so a client retry gets the same answer.
var failScript = redis.NewScript(luaClearExclusive + `
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then return {'STALE'} end
local l = redis.call('HGET', KEYS[2], id .. ':l')
if not l or string.match(l, '^(%d+)|') ~= ARGV[2] then
  local f = redis.call('HGET', KEYS[2], id .. ':f')
  if f then
    local ff, res, att = string.match(f, '^(%d+)|(%u+)|(%d+)$')
    if ff == ARGV[2] then return {res, att} end
  end
  return {'FENCED'}
end
local a = redis.call('HINCRBY', KEYS[2], id .. ':a', 1)
redis.call('HDEL', KEYS[2], id .. ':l')
clear_xl(id)
local res = 'RETRY'
local most = tonumber(ARGV[3])
if most > 0 then
  -- An operator who resolved an incident may have given the job new retries.
  most = tonumber(redis.call('HGET', KEYS[2], id .. ':g') or most)
else
  most = 1 -- a failure no retry fixes: an incident now
end
if a >= most then
  res = 'INCIDENT'
  redis.call('HSET', KEYS[2], id .. ':i', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'inc', 1)
  if redis.call('HGET', KEYS[1], 'status') == 'running' then redis.call('HSET', KEYS[1], 'status', 'incident') end
end
redis.call('HSET', KEYS[2], id .. ':f', ARGV[2] .. '|' .. res .. '|' .. a)
return {res, tostring(a)}
`)

// releaseScript: ARGV = id, fence. Gives a lease back without counting an attempt, so another
// worker can take the job at once. Returns {'OK'} | {'STALE'} | {'FENCED'}.
var releaseScript = redis.NewScript(luaClearExclusive + `
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then return {'STALE'} end
local l = redis.call('HGET', KEYS[2], id .. ':l')
if not l or string.match(l, '^(%d+)|') ~= ARGV[2] then return {'FENCED'} end
redis.call('HDEL', KEYS[2], id .. ':l')
clear_xl(id)
return {'OK'}
`)

// inspectScript, for the reconciler: ARGV = id.
// Returns {'GONE'} | {'INCIDENT'} | {'LEASED', expiry} | {'DUE', envelope, republishCount}.
// DUE counts one more republish.
var inspectScript = redis.NewScript(luaNow + `
local id = ARGV[1]
local env = redis.call('HGET', KEYS[2], id)
if not env then return {'GONE'} end
if redis.call('HEXISTS', KEYS[2], id .. ':i') == 1 then return {'INCIDENT'} end
local l = redis.call('HGET', KEYS[2], id .. ':l')
if l then
  local exp = tonumber(string.match(l, '^%d+|(%d+)|'))
  if exp > now then return {'LEASED', tostring(exp)} end
end
local r = redis.call('HINCRBY', KEYS[2], id .. ':r', 1)
return {'DUE', env, tostring(r)}
`)

// takeDueScript: KEYS[1] = the due index; ARGV = nowMs, limit, hideMs. Returns up to limit job
// ids whose due time has passed and hides them for hideMs, so that reconcilers on several
// servers rarely look at the same entry twice.
var takeDueScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local hide = tonumber(ARGV[1]) + tonumber(ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], hide, id) end
return ids
`)

// deployScript: KEYS[1] = the definition hash of one process key, KEYS[2] = the set of keys;
// ARGV = processKey, contentHash, encodedDefinitionWithoutVersion... Because the version is
// inside the encoded definition, the caller passes a template and the script only assigns the
// number: ARGV[3] is the encoded definition for version ARGV[4] (the caller's guess, latest+1).
// Returns {'EXISTS', version} | {'OK', version} | {'RACE', latest}.
var deployScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'h:' .. ARGV[2])
if v then return {'EXISTS', v} end
local latest = tonumber(redis.call('HGET', KEYS[1], 'latest') or '0')
if latest + 1 ~= tonumber(ARGV[4]) then return {'RACE', tostring(latest)} end
redis.call('HSET', KEYS[1], 'v:' .. ARGV[4], ARGV[3], 'h:' .. ARGV[2], ARGV[4], 'latest', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
return {'OK', ARGV[4]}
`)

var allScripts = []*redis.Script{claimScript, renewScript, commitScript, applyScript, assignScript, createScript, failScript,
	releaseScript, inspectScript, takeDueScript, deployScript}
