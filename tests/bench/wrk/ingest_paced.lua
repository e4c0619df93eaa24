-- wrk script: ingest.lua's requests, paced to a fixed total rate (the "p99 at half the rate" run).
--
--   wrk -s ingest_paced.lua <url> -- <ingest.lua's six arguments> <milliseconds between requests of one thread>
--
-- wrk has no rate option, but it asks delay() how long to wait before each next request of a connection. Each
-- thread hands out send slots one interval apart (a monotonic clock through LuaJIT's ffi), so its connections
-- together send at 1000 / interval requests per second whatever their latency; a connection that finds its slot
-- already past sends at once (no catching up in a burst). wrk times a request from its send, not from its slot.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("ingest")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } pejling_timespec;
  int clock_gettime(int clock_id, pejling_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("pejling_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local interval_ms, next_slot = 1000, nil

function init(args)
  ingest_init(args)
  interval_ms = tonumber(args[7]) or 1000
end

function delay()
  local now = now_ms()
  if next_slot == nil or next_slot < now then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  return math.floor(wait)
end
