-- wrk script: ingest.lua's complete responses sent through GraphQL's submitResponse mutation (no login, like a
-- kiosk app), each from its own client address.
--
--   wrk -s submit_graphql.lua http://host/graphql -- <ingest.lua's six arguments> <tenant slug> <store slug>
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("ingest")

local MUTATION = "mutation Submit($input: ResponseInput!) { submitResponse(input: $input) { " ..
  "response { id receiptCode duplicate } errors { code message field } } }"
local tenant_slug, store_slug

function init(args)
  ingest_init(args)
  tenant_slug, store_slug = args[7], args[8]
end

function request()
  local input = response_json(true)
  input = string.format('{"tenantSlug":"%s","storeSlug":"%s",', tenant_slug, store_slug) .. input:sub(2)
  return request_with(string.format('{"query":"%s","variables":{"input":%s}}', MUTATION, input))
end
