-- wrk script of the submission benchmark (tests/bench/submit.sh): POST
-- /v1/applications on keep-alive connections, every request a distinct
-- valid application with its own Idempotency-Key.
--
--   wrk -t2 -c8 -d10s -s submit.lua URL -- TOKEN TAG DAY STATEMENT REQUESTED
--
-- TOKEN      a desk bearer token
-- TAG        one letter per wrk run (A, B, ...): plates and keys of a run
--            differ from those of every other run on the same database
-- DAY        the day of the day exemptions (YYYY-MM-DD; tomorrow)
-- STATEMENT  gridOperatorStatementDate of the grid-congestion ones
-- REQUESTED  their electrificationRequestDate
--
-- Three requests in four are day exemptions, one in four grid-congestion
-- exemptions, in Rotterdam, Den Haag and Delft in turn, each for a foreign
-- (DE) plate of its own: TAG, the thread's number and a counter, at most
-- 12 characters.  The rules grant every one at once, so each is the full
-- write path: application, exemption, Idempotency-Key record and two audit
-- entries in one transaction.
--
-- response() keeps the Location of every 201 and counts the other
-- statuses; done() writes the 201 ids, one per line, to the file named by
-- the environment variable ZES_BENCH_IDS (so submit.sh can check that each
-- is a row of applications), and prints one line
--   BENCH {"requests":N,"status_201":N,"status_other":N,"rps":N,"p50_us":N,...}

local threads = {}
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
	table.insert(threads, thread)
end

local ZONES = { "GM0599", "GM0518", "GM0503" }

local token, tag, day, statement, requested
local n = 0
ids = {}
nids = 0
other = 0

function init(args)
	token, tag, day, statement, requested = args[1], args[2], args[3], args[4], args[5]
	assert(requested ~= nil, "usage: -- TOKEN TAG DAY STATEMENT REQUESTED")
	assert(id < 10, "at most 9 wrk threads")
end

local APPLICANT = '"applicant":{"kvk":"12345678","name":"Spedition Beispiel GmbH",' ..
	'"email":"dispo@example.de"}'

function request()
	n = n + 1
	local plate = string.format("%s%d%d", tag, id, n)
	local muni = ZONES[n % 3 + 1]
	local body
	if n % 4 == 0 then
		body = string.format('{"scope":"municipal","type":"grid_congestion",' ..
			'"municipality":"%s","plate":"%s","country":"DE",%s,' ..
			'"period":{"from":"%s"},"evidence":{"postcode":"3011AB",' ..
			'"gridOperatorStatementDate":"%s","electrificationRequestDate":"%s"}}',
			muni, plate, APPLICANT, day, statement, requested)
	else
		body = string.format('{"scope":"municipal","type":"day_exemption",' ..
			'"municipality":"%s","plate":"%s","country":"DE",%s,' ..
			'"period":{"from":"%s"},"evidence":{}}',
			muni, plate, APPLICANT, day)
	end
	return wrk.format("POST", "/v1/applications", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
		["Idempotency-Key"] = "bench-" .. plate,
	}, body)
end

function response(status, headers, body)
	if status == 201 then
		local loc = headers["Location"] or ""
		local uuid = loc:match("^/v1/applications/([0-9a-f%-]+)$")
		if uuid ~= nil then
			nids = nids + 1
			ids[nids] = uuid
			return
		end
	end
	other = other + 1
end

function done(summary, latency, requests)
	local e = summary.errors
	local secs = summary.duration / 1e6
	local n201, nother = 0, 0
	local path = os.getenv("ZES_BENCH_IDS")
	local f = path and assert(io.open(path, "w"))
	for _, t in ipairs(threads) do
		local list = t:get("ids")
		n201 = n201 + t:get("nids")
		nother = nother + t:get("other")
		if f then
			for _, v in pairs(list) do
				f:write(v, "\n")
			end
		end
	end
	if f then
		f:close()
	end
	io.write(string.format(
		'BENCH {"requests":%d,"status_201":%d,"status_other":%d,' ..
		'"duration_us":%d,"rps":%.1f,"rps_201":%.1f,' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
		'"err_connect":%d,"err_read":%d,"err_write":%d,' ..
		'"err_status":%d,"err_timeout":%d}\n',
		summary.requests, n201, nother, summary.duration,
		summary.requests / secs, n201 / secs,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, latency.mean,
		e.connect, e.read, e.write, e.status, e.timeout))
end
