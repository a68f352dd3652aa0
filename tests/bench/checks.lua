-- wrk script of the enforcement benchmark (tests/bench/run.sh): POST
-- /v1/access-checks on keep-alive connections, each request one check (or a
-- batch of checks) with random plates from a plate list file.
--
--   wrk -t2 -c64 -d10s -s checks.lua URL -- PLATES TOKEN BATCH
--
-- PLATES  a file of "PLATE MUNICIPALITY" lines (tests/bench/bench.py plates:
--         90% plates of the register, 10% unknown ones, cameras of the
--         municipalities with a zone)
-- TOKEN   an enforcement bearer token
-- BATCH   checks per request (1, or 1000 for the batch figure)
--
-- The requests are made once per thread in init() (a few thousand single
-- checks, or a few dozen batches, drawn at random) and picked at random per
-- request, so the client spends its share of the two cores on the socket,
-- not on building JSON.  done() prints one line
--   BENCH {"tag":...,"requests":N,"duration_us":N,"rps":N,"p50_us":N,...}
-- that run.sh parses.

local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
	table.insert(threads, thread)
end

local reqs = {}
local nreqs = 0

local function read_plates(path)
	local list = {}
	local f = assert(io.open(path, "r"))
	for line in f:lines() do
		local plate, muni = line:match("^(%S+)%s+(%S+)")
		if plate then
			list[#list + 1] = { plate, muni }
		end
	end
	f:close()
	assert(#list > 0, "no plates in " .. path)
	return list
end

local function one_check(p)
	return string.format('{"plate":"%s","municipality":"%s"}', p[1], p[2])
end

function init(args)
	local path, token, batch = args[1], args[2], tonumber(args[3] or "1")
	local id = id or 1
	math.randomseed(os.time() * 1000 + id * 7919)
	local plates = read_plates(path)
	local headers = {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}
	-- Distinct requests per thread: enough to spread over the plate list
	-- and the index without the client's memory mattering.
	local n = batch == 1 and 20000 or 24
	for i = 1, n do
		local items = {}
		for j = 1, batch do
			items[j] = one_check(plates[math.random(#plates)])
		end
		local body = '{"checks":[' .. table.concat(items, ",") .. ']}'
		reqs[i] = wrk.format("POST", "/v1/access-checks", headers, body)
	end
	nreqs = n
end

function request()
	return reqs[math.random(nreqs)]
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		'BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
		'"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
		'"err_status":%d,"err_timeout":%d}\n',
		summary.requests, summary.duration, summary.requests / secs,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, latency.mean,
		summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end
