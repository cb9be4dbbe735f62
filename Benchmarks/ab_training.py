#!/usr/bin/env python3
"""Two charrnn binaries side by side: training speed of each, runs alternating.

    python3 Benchmarks/ab_training.py OLD_CHARRNN NEW_CHARRNN [--cell rnn] [--hidden 256,512] [--threads 1,2]
        [--steps 100] [--repeats 3] [--corpus Corpora/kjv.txt]

For a change to the engine: build the revision before it somewhere else (a git worktree) and the
one after, and run this on an otherwise idle machine. Each figure is steady-state training
characters per second, as Benchmarks/compare.py measures them: `charrnn train` for N and 2N
steps (B = 32, T = 64, the cell of --cell, Elman by default), rate = N·B·T / (t(2N) − t(N)), so
start-up, tokenizing and saving cancel. The binaries alternate run by run (old N, new N, old 2N, new 2N, and again), so that the
machine's other load falls on both alike; medians of --repeats, and the new/old ratio.
Standard-library Python only.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def seconds(charrnn, corpus, out, cell, hidden, threads, steps):
    command = [charrnn, "train", "--corpus", corpus, "--out", out, "--cell", cell, "--hidden", str(hidden),
               "--threads", str(threads),
               "--steps", str(steps), "--val-fraction", "0", "--batch-size", "32", "--seq-length", "64",
               "--rng-seed", "1"]
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--cell", default="rnn", choices=["rnn", "lstm", "gru"])
    parser.add_argument("--hidden", default="256,512")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=100,
                        help="N at H = 512 (times (512/H)² below it): runs of N and 2N steps (default 100)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Corpora/kjv.txt"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="charrnn-ab-")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| configuration | old chars/s | new chars/s | new ÷ old |")
    print("|---|---:|---:|---:|")
    for hidden in [int(h) for h in args.hidden.split(",")]:
        for threads in [int(t) for t in args.threads.split(",")]:
            n = args.steps * max(1, 512 // hidden) ** 2  # about the same seconds at every H
            rates = {"old": [], "new": []}
            for _ in range(args.repeats):
                times = {"old": [], "new": []}
                for steps in (n, 2 * n):
                    for name in ("old", "new"):
                        binary = args.old if name == "old" else args.new
                        times[name].append(seconds(binary, args.corpus, os.path.join(folder, name + ".safetensors"),
                                                   args.cell, hidden, threads, steps))
                for name in rates:
                    rates[name].append(n * 32 * 64 / (times[name][1] - times[name][0]))
            old, new = statistics.median(rates["old"]), statistics.median(rates["new"])
            name = {"rnn": "Elman", "lstm": "LSTM", "gru": "GRU"}[args.cell]
            print(f"| {name} H={hidden}, {threads} thread{'s' if threads > 1 else ''} | {old:,.0f} | {new:,.0f} | "
                  f"{new / old:.3f}× |", flush=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
