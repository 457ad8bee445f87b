-- wrk script: every request GETs a path picked at random from a list file.
--
-- usage: wrk -t2 -c32 -d15s -s tests/bench/wrk-chunks.lua http://HOST:PORT -- LIST [SEED]
--
-- LIST holds one URL path a line (e.g. /store/chunks/ab/ab12...).  Each wrk thread reads
-- it in init() and seeds its own generator (SEED, default 1, plus the thread number), so
-- two runs with the same list and seed ask for the same sequence of paths per thread.
-- done() prints one machine-readable line for tests/bench/server.sh:
--   WRK_RESULT requests=N bytes=N duration_us=N connect=N read=N write=N status=N timeout=N
--   latency_p50_us=N latency_p99_us=N
-- (bytes counts everything read from the sockets: status lines, headers and bodies.)

local paths = {}
local n = 0

local counter = 0
function setup(thread)
	counter = counter + 1
	thread:set("tid", counter)
end

function init(args)
	local list = args[1]
	if not list then
		error("wrk-chunks.lua: pass the list file after --")
	end
	local seed = tonumber(args[2] or "1")
	for line in io.lines(list) do
		if #line > 0 then
			n = n + 1
			paths[n] = line
		end
	end
	if n == 0 then
		error("wrk-chunks.lua: " .. list .. " holds no paths")
	end
	math.randomseed(seed * 1000 + (tid or 0))
end

function request()
	return wrk.format("GET", paths[math.random(n)])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"WRK_RESULT requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d " ..
		"status=%d timeout=%d latency_p50_us=%d latency_p99_us=%d\n",
		summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write,
		e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
