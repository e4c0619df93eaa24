-- Shared by every bench script: at the end, one JSON line with the run's counts and latency percentiles.
-- wrk reports latencies in microseconds; the line is prefixed so the harness finds it among wrk's own output.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'PEJLING_WRK {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
