import http.client, json, sys, time, statistics
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
key = sys.argv[4] if len(sys.argv) > 4 else None
body = json.dumps({"model": "stories", "prompt": "Once", "max_tokens": 1})
h = {"Content-Type": "application/json"}
if key: h["Authorization"] = "Bearer " + key
c = http.client.HTTPConnection(host, port)
def one():
    t = time.perf_counter(); c.request("POST", "/v1/completions", body, h); r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    return (time.perf_counter() - t) * 1e6
for _ in range(200): one()
xs = sorted(one() for _ in range(n))
print(f"n={n} mean={statistics.mean(xs):.0f}us p50={xs[n//2]:.0f}us p99={xs[int(n*0.99)]:.0f}us")
