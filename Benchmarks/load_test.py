#!/usr/bin/env python3
"""A bounded load test of charrnn-serve on loopback.

Starts the server with the shipped Tang model and names classifier (default limits: as many
workers as cores, 64 waiting), then C clients (default 64) send N requests in all (default
3,000), half `POST /api/generate` of 200 letters from the Tang model and half `POST
/api/classify` of 10 names, each client one request at a time. Prints requests/s, p50/p99
latency per kind, the status counts (503s are the queue doing its job; anything else is an
error), and the server's peak resident memory (VmHWM).

    swift build -c release --product charrnn-serve
    python3 Benchmarks/load_test.py --server .build/release/charrnn-serve [--clients 64] [--requests 3000]

Standard library only.
"""
import argparse
import collections
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["Schmidt", "Nguyen", "Ivanov", "王伟", "Rossi", "Tanaka", "Kowalski", "Murphy", "Dubois", "Novák"]


def peak_memory_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.path.join(ROOT, ".build/release/charrnn-serve"))
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--extra", nargs="*", default=[], help="more charrnn-serve options")
    args = parser.parse_args()

    arguments = [args.server, "--port", "0",
                 "--model", os.path.join(ROOT, "Models/tang.safetensors"),
                 "--model", os.path.join(ROOT, "Models/names-classifier.safetensors")] + args.extra
    server = subprocess.Popen(arguments, stderr=subprocess.PIPE, text=True)
    port = None
    for line in server.stderr:
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            port = int(found.group(1))
            break
    if port is None:
        raise SystemExit("the server did not start")

    bodies = {
        "generate": json.dumps({"model": "tang", "seed": "春", "length": 200, "temperature": 0.8}),
        "classify": json.dumps({"model": "names-classifier", "names": NAMES}),
    }
    latencies = collections.defaultdict(list)
    statuses = collections.Counter()
    lock = threading.Lock()
    counter = iter(range(args.requests))

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            kind = "generate" if i % 2 == 0 else "classify"
            start = time.perf_counter()
            try:
                connection.request("POST", "/api/" + kind, body=bodies[kind], headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            elapsed = time.perf_counter() - start
            with lock:
                statuses[(kind, status)] += 1
                if status == 200:
                    latencies[kind].append(elapsed)
        connection.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    memory = peak_memory_mib(server.pid)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

    total = sum(statuses.values())
    print(f"{total} requests from {args.clients} clients in {seconds:.1f} s: {total / seconds:.1f} requests/s")
    for kind in ("generate", "classify"):
        values = sorted(latencies[kind])
        if values:
            p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
            print(f"  {kind:8}  {len(values)} answered 200, latency p50 {statistics.median(values) * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms")
    for (kind, status), count in sorted(statuses.items(), key=str):
        if status != 200:
            print(f"  {kind:8}  {count} answered {status}")
    errors = sum(count for (kind, status), count in statuses.items() if status not in (200, 503))
    print(f"errors (other than 503): {errors}; server peak memory {memory:.0f} MiB; exit status {server.returncode}")
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
