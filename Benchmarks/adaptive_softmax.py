#!/usr/bin/env python3
"""The adaptive-softmax decoder against the full softmax at a large vocabulary (issue 17).

    swift build -c release --product charrnn
    nice python3 Benchmarks/adaptive_softmax.py [--repeats 3] [--steps 60] [--equal-time 300]

Plain Python 3 (standard library only). Both decoders train the same network (H = 256, B = 32,
T = 64, Elman, Adam, 1 thread) on ../shared/data/tang/tang.txt with its whole vocabulary
(8,728 letters: charrnn keeps every letter unless --max-vocab or --min-count say otherwise);
the adaptive one with `--decoder adaptive` and its defaults (cutoffs 2000,6000, div_value 4).

Speed: `charrnn train` for N and 2N steps, as Benchmarks/compare.py times training, so start-up,
tokenizing and saving cancel: rate = N·B·T / (t(2N) − t(N)), with t the wall time, and again
with t the process's CPU time (user + system, from os.wait4): on a machine shared with other
work the wall-time rate falls with the load, the CPU-time rate much less. The runs alternate
(linear N, linear 2N, adaptive N, adaptive 2N, and again) so that the load falls on both alike;
medians of --repeats.

Equal time (--equal-time S, 0 to skip): each decoder trains for S seconds (--max-time, same
seed), both at once, one core each, with the default 5% held out, validating every 200 updates;
the best held-out bits per token of each. Then sampling with those two models: `charrnn generate
--seed 春 --length L` for L = 2000 and 4000, rate = 2000 / (CPU time difference), medians of 3.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
COMMON = ["--hidden", "256", "--batch-size", "32", "--seq-length", "64", "--threads", "1", "--rng-seed", "1"]
DECODERS = {"linear": [], "adaptive": ["--decoder", "adaptive"]}


def train(charrnn, corpus, out, extra):
    return train_together(charrnn, corpus, [(out, extra)])[0]


def train_together(charrnn, corpus, runs):
    """Runs `charrnn train` once per (out, extra flags) of `runs`, all at the same time; returns
    for each ((wall seconds, CPU seconds), its JSON summary, its command)."""
    started = []
    for out, extra in runs:
        command = [charrnn, "train", "--corpus", corpus, "--out", out, "--format", "json"] + COMMON + extra
        files = (tempfile.TemporaryFile(), tempfile.TemporaryFile())
        started.append((command, files, time.monotonic(), subprocess.Popen(command, stdout=files[0], stderr=files[1])))
    results = []
    for command, (out, err), start, process in started:
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read().decode()}")
        results.append(((seconds, usage.ru_utime + usage.ru_stime), json.loads(out.read()), command))
        out.close()
        err.close()
    return results


def generate(charrnn, model, length):
    """The CPU seconds (user + system) of one `charrnn generate` of `length` letters."""
    process = subprocess.Popen([charrnn, "generate", "--model", model, "--length", str(length), "--rng-seed", "1",
                                "--seed", "春"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"charrnn generate --model {model} failed")
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--charrnn", default=os.path.join(ROOT, ".build/release/charrnn"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "../shared/data/tang/tang.txt"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60, help="N: the runs are N and 2N steps")
    parser.add_argument("--equal-time", type=float, default=0, help="seconds of training of each decoder, 0: skip")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="charrnn-adaptive-")
    n = args.steps
    speed = {name: [] for name in DECODERS}
    cpu_speed = {name: [] for name in DECODERS}
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for repeat in range(args.repeats):
        for name, flags in DECODERS.items():
            out = os.path.join(folder, f"{name}.safetensors")
            timed = []
            for steps in (n, 2 * n):
                extra = flags + ["--steps", str(steps), "--val-fraction", "0.002", "--eval-every", str(4 * n)]
                seconds, summary, command = train(args.charrnn, args.corpus, out, extra)
                timed.append(seconds)
                if repeat == 0 and steps == n:
                    print(f"{name}: vocabulary {int(summary['vocabulary'])}, parameters {int(summary['parameters'])}; "
                          f"{' '.join(command[1:])}")
            rate = n * 32 * 64 / (timed[1][0] - timed[0][0])
            cpu_rate = n * 32 * 64 / (timed[1][1] - timed[0][1])
            speed[name].append(rate)
            cpu_speed[name].append(cpu_rate)
            print(f"  run {repeat + 1}, {name}: wall {timed[0][0]:.1f} s and {timed[1][0]:.1f} s -> {rate:,.0f} chars/s; "
                  f"CPU {timed[0][1]:.1f} s and {timed[1][1]:.1f} s -> {cpu_rate:,.0f} chars/s", flush=True)
    for label, table in (("wall time", speed), ("CPU time", cpu_speed)):
        linear, adaptive = statistics.median(table["linear"]), statistics.median(table["adaptive"])
        print(f"training chars/s by {label}, medians of {args.repeats}: linear {linear:,.0f}, adaptive {adaptive:,.0f}, "
              f"ratio {adaptive / linear:.2f}x")
    print(f"load average at the end of the speed runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.equal_time > 0:
        runs = [(os.path.join(folder, f"{name}-timed.safetensors"),
                 flags + ["--max-time", str(args.equal_time), "--eval-every", "200", "--patience", "0"])
                for name, flags in DECODERS.items()]
        for name, ((seconds, cpu), summary, command) in zip(DECODERS, train_together(args.charrnn, args.corpus, runs)):
            print(f"equal time, {name}: {int(summary['steps'])} updates in {summary['train_seconds']:.0f} s of training, "
                  f"best held-out {summary.get('val_bits_per_token', float('nan')):.4f} bits/token at step "
                  f"{int(summary.get('best_step', 0))} ({seconds:.0f} s in all, {cpu:.0f} s of CPU); "
                  f"{' '.join(command[1:])}", flush=True)
        sampling = {name: [] for name in DECODERS}
        for _ in range(args.repeats):
            for name in DECODERS:
                model = os.path.join(folder, f"{name}-timed.safetensors")
                cpu = [generate(args.charrnn, model, length) for length in (2000, 4000)]
                sampling[name].append(2000 / (cpu[1] - cpu[0]))
        for name, rates in sampling.items():
            print(f"sampling chars/s by CPU time, {name}: {', '.join(f'{x:,.0f}' for x in rates)}; "
                  f"median {statistics.median(rates):,.0f}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
