"""Training speed in chars/s: charrnn_torch.train on 1 process (1 and 2 threads) and on 2
processes under torchrun (gloo, 1 thread each), against `charrnn train` on 1 and 2 threads.

Each run makes --steps updates on Corpora/kjv.txt with nothing held out; its speed is the median
of the rates of its intervals of --interval updates (the first interval, warm-up, left out):
`charrnn train --log` writes one rate per interval, charrnn_torch.train's --history the seconds
of every update. A median of intervals resists the bursts of other work on a shared machine.
Run from the repository root after `swift build -c release --product charrnn`:

    ~/.cache/charrnn-venv/bin/python python/bench/speed.py --hidden 512 --repeats 3
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--interval", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--corpus", default=os.path.join(ROOT, "Corpora/kjv.txt"))
    p.add_argument("--charrnn", default=os.path.join(ROOT, ".build/release/charrnn"))
    args = p.parse_args()
    B, T = 32, 64
    common = ["--corpus", args.corpus, "--hidden", str(args.hidden), "--batch-size", str(B), "--seq-length", str(T),
              "--val-fraction", "0", "--steps", str(args.steps)]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), CHARRNN=args.charrnn)
    folder = tempfile.mkdtemp(prefix="charrnn-speed-")
    out = os.path.join(folder, "m.safetensors")
    torch_train = [sys.executable, "-m", "charrnn_torch.train"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "charrnn_torch.train"]
    configurations = [
        ("charrnn train --threads 1", "charrnn", [args.charrnn, "train", *common, "--threads", "1"]),
        ("charrnn train --threads 2", "charrnn", [args.charrnn, "train", *common, "--threads", "2"]),
        ("charrnn_torch.train, 1 process, --threads 1", "torch", [*torch_train, *common, "--threads", "1"]),
        ("charrnn_torch.train, 1 process, --threads 2", "torch", [*torch_train, *common, "--threads", "2"]),
        ("torchrun --nproc_per_node 2 (gloo), --threads 1 each", "torch", [*torchrun, *common, "--threads", "1"]),
    ]
    results = {name: [] for name, _, _ in configurations}
    for repeat in range(args.repeats):
        print(f"# repeat {repeat + 1}: load average {os.getloadavg()}", flush=True)
        for name, kind, command in configurations:
            log = os.path.join(folder, "log")
            if os.path.exists(log):
                os.remove(log)
            if kind == "charrnn":
                command = command + ["--out", out, "--eval-every", str(args.interval), "--log", log]
            else:
                command = command + ["--out", out, "--eval-every", str(args.steps), "--history", log]
            subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rate = statistics.median(interval_rates(kind, log, args.interval, B * T))
            results[name].append(rate)
            print(f"{name}: {rate:,.0f} chars/s", flush=True)
    print(f"# end: load average {os.getloadavg()}")
    print(f"\n| H = {args.hidden} | chars/s (median of {args.repeats}) | each run |\n|---|---:|---|")
    for name, rates in results.items():
        print(f"| {name} | {statistics.median(rates):,.0f} | {', '.join(f'{r:,.0f}' for r in rates)} |")


def interval_rates(kind, log, interval, tokens_per_step):
    """The chars/s of each interval but the first."""
    if kind == "charrnn":
        with open(log, newline="") as f:
            return [float(row["tokens_per_second"]) for row in csv.DictReader(f)][1:]
    with open(log) as f:
        seconds = {row["step"]: row["seconds"] for row in map(json.loads, f) if "loss" in row}
    marks = sorted(step for step in seconds if step % interval == 0)
    return [interval * tokens_per_step / (seconds[b] - seconds[a]) for a, b in zip(marks, marks[1:])]


if __name__ == "__main__":
    main()
