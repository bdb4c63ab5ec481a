"""Drives benchmarks/workflows.sh: a 10-node no-op flow, run many times through the HTTP API."""
import json
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

mode, base, password, count, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


token = call("POST", "/api/v1/auth/login", {"username": "bench", "password": password})["access_token"]
nodes = [{"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}}]
for i in range(8):
    nodes.append({"id": f"s{i}", "type": "set", "position": {"x": 100 * (i + 1), "y": 0}, "data": {"values": {f"k{i}": i}}})
nodes.append({"id": "end", "type": "end", "position": {"x": 900, "y": 0}, "data": {"output": {"n": "{{input.n}}"}}})
keys = [n["id"] for n in nodes]
edges = [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(zip(keys, keys[1:]))]
flow = call("POST", "/api/v1/flows", {"name": f"bench-{mode}-{workers}-{time.time()}", "nodes": nodes, "edges": edges}, token)["id"]

if mode == "throughput":
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: call("POST", f"/api/v1/flows/{flow}/execute", {"input_data": {"n": n}, "async": True}, token)["execution_id"], range(count)))
    queued = time.monotonic()
    while True:
        page = call("GET", f"/api/v1/flows/{flow}/executions?per_page=1&status=completed", token=token)
        if page["pagination"]["total"] >= count:
            break
        failed = call("GET", f"/api/v1/flows/{flow}/executions?per_page=1&status=failed", token=token)["pagination"]["total"]
        if failed:
            sys.exit(f"{failed} runs failed")
        time.sleep(0.05)
    finished = time.monotonic()
    total = finished - started
    print(f"| {workers} | {count} | {count / (queued - started):.0f} | {count / total:.1f} | {count * 10 / total:.0f} |")
else:
    times = []
    for n in range(count):
        t0 = time.monotonic()
        answer = call("POST", f"/api/v1/flows/{flow}/execute", {"input_data": {"n": n}}, token)
        times.append((time.monotonic() - t0) * 1000)
        assert answer["status"] == "completed" and answer["result"]["output"] == {"n": n}, answer
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"| sync execute, 10 nodes | {count} | {statistics.median(times):.1f} | {q(0.95):.1f} | {q(0.99):.1f} |")
