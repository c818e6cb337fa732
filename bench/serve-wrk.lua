-- wrk's script for bench/serve.sh (wrk 4: https://github.com/wg/wrk, SCRIPTING).
--
--   wrk ... -s serve-wrk.lua URL                      GET URL
--   wrk ... -s serve-wrk.lua URL -- BUNDLE TOKEN       POST BUNDLE, new ids each time
--
-- An upload must carry ids no run on the server has (the server refuses
-- another run's ids with 409), so every request rewrites each UUID of the
-- bundle: its first 24 characters stay, its last 12 hex digits become the
-- UUID's number in the bundle, the thread's and a per-thread counter.
-- The same UUID gets the same new id throughout one request, so the
-- bundle's rows still point at each other. At the end one line for
-- bench/serve.sh: requests, errors by kind, latency percentiles.

local threads = {}
local parts = nil
local counter = 0

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	if not args[1] then
		return
	end
	local f = assert(io.open(args[1], "rb"))
	local body = f:read("*a")
	f:close()
	wrk.method = "POST"
	wrk.headers["Authorization"] = "Bearer " .. args[2]
	wrk.headers["Content-Type"] = "application/json"
	local pat = "%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x"
	local index, n, pos = {}, 0, 1
	parts = {}
	while true do
		local s, e = body:find(pat, pos)
		if not s then
			break
		end
		local u = body:sub(s, e)
		if not index[u] then
			n = n + 1
			index[u] = n
		end
		table.insert(parts, body:sub(pos, s + 23))
		table.insert(parts, index[u])
		pos = e + 1
	end
	table.insert(parts, body:sub(pos))
	assert(n > 0 and n < 256, "a bundle with 1 to 255 ids")
end

function request()
	if not parts then
		return wrk.format()
	end
	counter = counter + 1
	local out = {}
	for i, p in ipairs(parts) do
		if type(p) == "number" then
			out[i] = string.format("%02x%02x%08x", p, tid, counter)
		else
			out[i] = p
		end
	end
	return wrk.format(nil, nil, nil, table.concat(out))
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d"
		.. " timeout=%d p50_us=%d p99_us=%d\n", summary.requests, summary.duration, e.status,
		e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
