-- Sends each prepared signed delivery once (the two threads take alternate lines), then stops:
-- the figure wrk reports is distinct deliveries per second, each verified and processed.
local deliveries = {}
for line in io.lines(os.getenv("DELIVERIES")) do
  local sig, body = line:match("^([^\t]+)\t(.*)$")
  deliveries[#deliveries + 1] = { sig = sig, body = body }
end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  index = id
end

function request()
  local d = deliveries[index] or deliveries[#deliveries]
  index = index + 2
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Stripe-Signature"] = d.sig }, d.body)
end

function response(status, headers, body)
  if index > #deliveries then
    wrk.thread:stop()
  end
end
