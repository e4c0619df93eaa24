-- wrk script: every request is a new, complete survey response (warm-up taps + statements, an outcome) with its
-- own random response id, from its own client address (X-Forwarded-For, believed because the bench server trusts
-- the loopback proxy), so the per-address rate limit never refuses the load.
--
--   wrk -s ingest.lua http://host/s/<tenant>/<store>/responses -- <version> <zone> <warmups> <statements> <started> <submitted>
--
-- <warmups> and <statements> are comma-separated statement ids, <started> and <submitted> ISO times (UTC).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("report")

local threads = {}
local counter = 1

function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

version, zone, warmups, statements, started, submitted = nil, nil, nil, nil, nil, nil

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do table.insert(items, item) end
  return items
end

function ingest_init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919 + math.floor(os.clock() * 1000000))
  version, zone = args[1], args[2]
  warmups, statements, started = split(args[3]), split(args[4]), args[5]
  submitted = args[6]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1"
end
init = ingest_init

function uuid4()
  local r = math.random
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x", r(0, 0xffffffff), r(0, 0xffff), r(0, 0xfff),
    0x8000 + r(0, 0x3fff), r(0, 0xffff), r(0, 0xffffffff))
end

-- A JSON key as the public endpoint spells it (snake_case) or, with camel, as GraphQL's ResponseInput does.
local function key(name, camel)
  if camel then name = name:gsub("_(%l)", string.upper) end
  return '"' .. name .. '"'
end

function answer(statement, position, warmup, camel)
  local value = warmup and 5 or math.random(1, 5)
  return string.format('{%s:"%s","value":%d,"position":%d,%s:%d,"warmup":%s}', key("statement_id", camel),
    statement, value, position, key("reaction_ms", camel), math.random(650, 2600), warmup and "true" or "false")
end

-- The JSON of one new, complete response; with camel, the fields of GraphQL's ResponseInput (submit_graphql.lua).
function response_json(camel)
  local answers = {}
  local position = 0
  for _, id in ipairs(warmups) do table.insert(answers, answer(id, position, true, camel)); position = position + 1 end
  for _, id in ipairs(statements) do
    table.insert(answers, answer(id, position, false, camel)); position = position + 1
  end
  return string.format(
    '{"id":"%s",%s:"%s","invitation":null,%s:"%s","channel":"qr","language":"da",' ..
    '%s:"%s",%s:"%s","answers":[%s],"outcome":%d,"comment":"",' ..
    '"consent":{"contact":false,"email":null},"client":{%s:390,"touch":true,"js":true}}',
    uuid4(), key("survey_version_id", camel), version, key("zone_id", camel), zone, key("started_at", camel), started,
    key("submitted_at", camel), submitted, table.concat(answers, ","), math.random(0, 10),
    key("viewport_width", camel))
end

-- Each request from its own client address (believed: the bench server trusts the loopback proxy).
function request_with(body)
  local address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["X-Forwarded-For"] = address
  return wrk.format(nil, nil, headers, body)
end

function request()
  return request_with(response_json())
end
