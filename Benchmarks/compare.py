#!/usr/bin/env python3
"""charrnn against PyTorch, and against the machine's FMA peak: one markdown table.

    swift build -c release
    swift build -c release --package-path Benchmarks --product fma-peak
    python3 Benchmarks/compare.py [--quick] [--only training,sampling,...] [--repeats 3]

Plain Python 3 (standard library only); run from the repository root or anywhere (paths default
relative to the repository). The PyTorch side is Benchmarks/pytorch/speed.py, run once with
--python (default .venv-ref/bin/python) after the charrnn runs, with the vocabulary sizes and
models the charrnn runs produced, so that both sides see the same V.

How charrnn is measured (every figure a median of --repeats; wall times of whole processes and
their peak resident memory, both from os.wait4 in a small launcher process, see LAUNCHER;
"charrnn peak RSS" is the largest of a row's runs):
  training        `charrnn train` run for N and 2N steps (N chosen from a short calibration run so
                  that the extra N steps take about --target-seconds); rate = N·B·T / (t(2N) − t(N)),
                  so start-up, tokenizing, the final validation and saving cancel. --val-fraction
                  is small (0.002) to keep that fixed cost low; --eval-every is beyond 2N.
  sampling        a model trained for one step at H=256 on each corpus, then `charrnn generate`
                  at lengths L and 2L with --threads T (which splits a large output layer across
                  threads): rate = L / (t(2L) − t(L)).
  classifier      `train-classifier --cell rnn --epochs 1` against `--epochs 2` (--patience beyond): one
                  epoch's training examples (name, category pairs, counted from --save-split)
                  over the extra seconds. An epoch also scores the held-out names, in both tools.
  classification  `charrnn classify --model M` with N and 2N names on stdin (the corpus's names,
                  repeated): N / (t(2N) − t(N)). classify has no --threads.
  tokenizer       `charrnn tokenize --stats` on the corpus: bytes / wall time (start-up included).
  load            `charrnn generate --model M --length 1`: whole-process wall time, ms.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

TRAIN_CONFIGS = [  # (H, B, T, V asked for, corpus, cell)
    (128, 32, 64, 65, "Corpora/kjv.txt", "rnn"),
    (256, 32, 64, 65, "Corpora/kjv.txt", "rnn"),
    (512, 32, 64, 65, "Corpora/kjv.txt", "rnn"),
    (256, 32, 64, 8800, "../shared/data/tang/tang.txt", "rnn"),
    (256, 32, 64, 65, "Corpora/kjv.txt", "lstm"),
    (256, 32, 64, 65, "Corpora/kjv.txt", "gru"),
]
SAMPLE_CORPORA = [("Corpora/kjv.txt", 65, "rnn"), ("../shared/data/tang/tang.txt", 8800, "rnn"),
                  ("Corpora/kjv.txt", 65, "lstm"), ("Corpora/kjv.txt", 65, "gru")]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def training_flops(h, v, cell):
    """Multiply-adds ×2 per character of a training step: forward, and twice that backward, of
    the recurrent product (G·H × H) and the decoder (V × H); the one-hot input is a gather."""
    return 6 * GATES[cell] * h * h + 6 * h * v
GROUPS = ["training", "sampling", "classifier", "tokenizer", "load"]


def log(text):
    print(f"compare.py: {text}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, seconds, max_rss_kb, stdout, stderr, status):
        self.seconds, self.max_rss_kb, self.stdout, self.stderr, self.status = seconds, max_rss_kb, stdout, stderr, status


# Each measured command runs under this small launcher, which forks it, waits for it with os.wait4
# and writes "seconds peak-RSS-KB exit-status" to the file named by its first argument. The
# detour matters for the memory figure: Linux folds the memory of the process that calls exec
# into the new program's ru_maxrss, so a child started straight from this script would report
# at least this script's own peak (tens of MB); the launcher is a few MB.
LAUNCHER = r"""
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    f.write(f"{seconds!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


class Runner:
    """Runs commands from the repository root with their output in files, timing them and reading
    their peak resident memory (through LAUNCHER)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.count = 0

    def run(self, argv, stdin_path=None, check=True, show_stderr=False, keep_stdout=True):
        """Run argv to completion. show_stderr passes its stderr through; keep_stdout=False sends
        its output to /dev/null."""
        self.count += 1
        out_path = os.path.join(self.workdir, f"run{self.count}.out") if keep_stdout else os.devnull
        err_path = os.path.join(self.workdir, f"run{self.count}.err")
        report = os.path.join(self.workdir, f"run{self.count}.rusage")
        with open(out_path, "wb") as out, open(err_path, "wb") as err, \
                open(stdin_path or os.devnull, "rb") as stdin:
            launcher = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, report] + argv, stdin=stdin, stdout=out,
                                      stderr=None if show_stderr else err, cwd=ROOT)
        try:
            with open(report) as f:
                seconds, max_rss_kb, status = f.read().split()
            os.remove(report)
        except (OSError, ValueError):
            raise SystemExit(f"compare.py: the launcher failed ({launcher.returncode}) on: {' '.join(argv)}")
        stdout = ""
        if keep_stdout:
            with open(out_path, encoding="utf-8", errors="replace") as f:
                stdout = f.read()
            os.remove(out_path)
        with open(err_path, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
        os.remove(err_path)
        if check and int(status) != 0:
            raise SystemExit(f"compare.py: failed ({status}): {' '.join(argv)}\n{stderr[-2000:]}")
        return Run(float(seconds), int(max_rss_kb), stdout, stderr, int(status))


def median(xs):
    return statistics.median(xs) if xs else None


def differenced(runner, make_argv, small, repeats, stdin_for=None):
    """Median over `repeats` pairs of (t(2·small) − t(small)), the pairs' runs alternating (their
    output discarded); also the largest peak RSS of any run, and the differences."""
    diffs, rss = [], []
    for _ in range(repeats):
        short = runner.run(make_argv(small), stdin_for(small) if stdin_for else None, keep_stdout=False)
        long = runner.run(make_argv(2 * small), stdin_for(2 * small) if stdin_for else None, keep_stdout=False)
        rss += [short.max_rss_kb, long.max_rss_kb]
        if long.seconds > short.seconds:
            diffs.append(long.seconds - short.seconds)
        else:
            log(f"  a run of 2×{small} took no longer than one of {small}: pair ignored (noise)")
    return median(diffs), max(rss), diffs


# ---------------------------------------------------------------- charrnn measurements

def measure_training(args, runner, tmp, threads_list, results):
    for h, b, t, v_asked, corpus, cell in TRAIN_CONFIGS:
        if args.quick and h == 512:
            continue
        out = os.path.join(tmp, "train.safetensors")
        base = [args.charrnn, "train", "--corpus", corpus, "--out", out, "--hidden", str(h), "--cell", cell,
                "--batch-size", str(b), "--seq-length", str(t), "--max-vocab", str(v_asked),
                "--val-fraction", "0.002", "--format", "json"]
        for threads in threads_list:
            # Calibration: a short run's own tokens/s (start-up excluded) sizes N.
            calib = runner.run(base + ["--steps", "2", "--eval-every", "1000000000", "--threads", str(threads)])
            summary = json.loads(calib.stdout)
            v = int(summary["vocabulary"])
            steps = max(2, round(args.target_seconds * summary["tokens_per_second"] / (b * t)))
            log(f"training {cell} H={h} B={b} T={t} V={v} threads={threads}: N={steps} and {2 * steps} steps")

            def argv(n):
                return base + ["--steps", str(n), "--eval-every", str(10 * n + 1000), "--threads", str(threads)]

            extra, rss, diffs = differenced(runner, argv, steps, args.repeats)
            rate = steps * b * t / extra if extra else None
            results.append({"group": "training", "cell": cell, "H": h, "B": b, "T": t, "V": v, "V_asked": v_asked,
                            "corpus": corpus, "threads": threads, "steps": steps, "charrnn": rate,
                            "extra_seconds": diffs, "rss_kb": rss})


def make_models(args, runner, tmp):
    """A language model trained for one step at H=256 on each sampling corpus and cell:
    [(path, V, corpus, cell)]."""
    models = []
    for corpus, v_asked, cell in SAMPLE_CORPORA:
        model = os.path.join(tmp, f"lm-{cell}-{v_asked}.safetensors")
        made = runner.run([args.charrnn, "train", "--corpus", corpus, "--out", model, "--hidden", "256", "--cell", cell,
                           "--max-vocab", str(v_asked), "--val-fraction", "0.002", "--steps", "1",
                           "--eval-every", "10", "--format", "json"])
        models.append((model, int(json.loads(made.stdout)["vocabulary"]), corpus, cell))
    return models


def measure_sampling(args, runner, results, models, threads_list):
    for (model, v, corpus, cell), threads in [(m, t) for m in models for t in threads_list]:
        def argv(n):
            return [args.charrnn, "generate", "--model", model, "--length", str(n), "--rng-seed", "1",
                    "--threads", str(threads)]

        # Calibration: 2000 letters against 200.
        small, big = runner.run(argv(200), keep_stdout=False), runner.run(argv(2000), keep_stdout=False)
        rate_guess = 1800 / max(1e-3, big.seconds - small.seconds)
        length = max(500, round(args.target_seconds * rate_guess))
        log(f"sampling {cell} H=256 V={v}, {threads} threads: lengths {length} and {2 * length}")
        extra, rss, diffs = differenced(runner, argv, length, args.repeats)
        results.append({"group": "sampling", "cell": cell, "H": 256, "V": v, "corpus": corpus, "threads": threads,
                        "length": length, "charrnn": length / extra if extra else None,
                        "extra_seconds": diffs, "rss_kb": rss})


def measure_load(args, runner, results, models):
    runs = [runner.run([args.charrnn, "--version"], keep_stdout=False) for _ in range(max(3, args.repeats))]
    results.append({"group": "startup", "charrnn_ms": median([r.seconds * 1e3 for r in runs]),
                    "runs_ms": [r.seconds * 1e3 for r in runs], "rss_kb": max(r.max_rss_kb for r in runs)})
    for model, v, corpus, cell in models:
        if cell != "rnn":
            continue
        runs = [runner.run([args.charrnn, "generate", "--model", model, "--length", "1", "--rng-seed", "1"], keep_stdout=False)
                for _ in range(max(3, args.repeats))]
        results.append({"group": "load", "H": 256, "V": v, "corpus": corpus, "model": model,
                        "charrnn_ms": median([r.seconds * 1e3 for r in runs]),
                        "runs_ms": [r.seconds * 1e3 for r in runs], "rss_kb": max(r.max_rss_kb for r in runs)})


def measure_classifier(args, runner, tmp, threads_list, results):
    split = os.path.join(tmp, "split.json")
    model = os.path.join(tmp, "classifier.safetensors")
    for threads in threads_list:
        def argv(epochs):
            return [args.charrnn, "train-classifier", "--data", args.names, "--out", model, "--epochs", str(epochs),
                    "--cell", "rnn", "--patience", "1000", "--threads", str(threads), "--save-split", split, "--format", "json"]

        log(f"classifier training, threads={threads}: 1 and 2 epochs")
        extra, rss, diffs = differenced(runner, argv, 1, args.repeats)
        with open(split, encoding="utf-8") as f:
            document = json.load(f)
        examples = sum(len(item["categories"]) for item in document["train"])
        results.append({"group": "classifier-training", "threads": threads, "names_per_epoch": examples,
                        "distinct_training_names": len(document["train"]), "charrnn": examples / extra if extra else None,
                        "extra_seconds": diffs, "rss_kb": rss})
    # Classification with the last model (classify has no --threads).
    names = [item["name"] for part in ("train", "held_out") for item in document[part]]
    unit = max(1000, min(len(names), 20000)) if args.quick else len(names) * 2
    files = {}

    def stdin_for(n):
        if n not in files:
            path = os.path.join(tmp, f"names-{n}.txt")
            with open(path, "w", encoding="utf-8") as f:
                for i in range(n):
                    f.write(names[i % len(names)] + "\n")
            files[n] = path
        return files[n]

    log(f"classification: {unit} and {2 * unit} names")
    extra, rss, diffs = differenced(runner, lambda n: [args.charrnn, "classify", "--model", model],
                                       unit, args.repeats, stdin_for=stdin_for)
    results.append({"group": "classification", "names": unit, "charrnn": unit / extra if extra else None,
                    "extra_seconds": diffs, "rss_kb": rss})
    return split


def measure_tokenizer(args, runner, results):
    size = os.path.getsize(os.path.join(ROOT, args.tokenizer_corpus))
    runs = [runner.run([args.charrnn, "tokenize", "--stats", args.tokenizer_corpus], keep_stdout=False)
            for _ in range(args.repeats)]
    seconds = median([r.seconds for r in runs])
    results.append({"group": "tokenizer", "corpus": args.tokenizer_corpus, "bytes": size,
                    "charrnn": size / seconds / 1e6, "runs_seconds": [r.seconds for r in runs],
                    "rss_kb": max(r.max_rss_kb for r in runs)})


# ---------------------------------------------------------------- PyTorch and FMA peak

def run_pytorch(args, runner, results, models, split, threads_list, groups):
    only, configs = [], []
    if "training" in groups:
        only.append("training")
        seen = []
        for r in results:
            if r["group"] == "training" and (r["H"], r["V"], r["corpus"], r["cell"]) not in seen:
                seen.append((r["H"], r["V"], r["corpus"], r["cell"]))
                configs.append(f"{r['H']},{r['B']},{r['T']},{r['V']},{os.path.join(ROOT, r['corpus'])},{r['cell']}")
    samples = sorted({f"256,{r['V']},{r['cell']}" for r in results if r["group"] == "sampling"})
    if samples:
        only.append("sampling")
    if "load" in groups and models:
        only.append("load")
    if "classifier" in groups:
        only.append("classifier")
    if not only:
        return []
    argv = [args.python, args.speed_script, "--threads", ",".join(map(str, threads_list)), "--only", ",".join(only),
            "--train-configs", ";".join(configs) or "1,1,1,2", "--sample-configs", ";".join(samples) or "1,2"]
    if args.quick:
        argv.append("--quick")
    for model, _, _, cell in models:
        if cell == "rnn":
            argv += ["--load-model", model]
    if split:
        argv += ["--split", split]
    log("PyTorch: " + " ".join(argv))
    run = runner.run(argv, show_stderr=True)
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def run_fma_peak(args, runner):
    if not os.path.exists(os.path.join(ROOT, args.fma_peak)):
        log(f"no {args.fma_peak}: build it with `swift build -c release --package-path Benchmarks --product fma-peak`;"
            " the peak column stays empty")
        return None
    run = runner.run([args.fma_peak, "--json"])
    return json.loads(run.stdout)


# ---------------------------------------------------------------- the table

def fmt(x, digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return f"{x:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def mb(kb):
    return f"{kb / 1024:.0f} MB" if kb else "–"


def find(torch_records, **match):
    for record in torch_records:
        if all(record.get(k) == v for k, v in match.items()):
            return record
    return None


def table(results, torch_records, peak, threads_list):
    lines = ["| row | charrnn | PyTorch | ratio | GFLOP/s charrnn | GFLOP/s PyTorch | FMA peak GFLOP/s | charrnn peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def peak_for(threads):
        if not peak:
            return None
        return peak["single_core_gflops"] if threads == 1 else peak["all_core_gflops"] if threads == peak["cores"] else None

    for r in results:
        g = r["group"]
        if g == "training":
            flops = training_flops(r["H"], r["V"], r["cell"])
            p = find(torch_records, bench="training", cell=r["cell"], H=r["H"], B=r["B"], T=r["T"], V=r["V"],
                     threads=r["threads"])
            pt = p["chars_per_s"] if p else None
            name = (f"training chars/s, {r['cell']} H={r['H']} B={r['B']} T={r['T']} V={r['V']} "
                    f"({os.path.basename(r['corpus'])}), {r['threads']} thread{'s' if r['threads'] > 1 else ''}")
            lines.append(f"| {name} | {fmt(r['charrnn'])} | {fmt(pt)} | {ratio(r['charrnn'], pt)} | "
                         f"{fmt(r['charrnn'] and r['charrnn'] * flops / 1e9, 1)} | {fmt(pt and pt * flops / 1e9, 1)} | "
                         f"{fmt(peak_for(r['threads']), 1)} | {mb(r['rss_kb'])} |")
        elif g == "sampling":
            threads = r["threads"]
            p = find(torch_records, bench="sampling", cell=r["cell"], H=r["H"], V=r["V"], threads=threads)
            pt = p["chars_per_s"] if p else None
            name = f"sampling chars/s, one stream, {r['cell']} H=256 V={r['V']}, {threads} thread{'s' if threads > 1 else ''}"
            lines.append(f"| {name} | {fmt(r['charrnn'])} | {fmt(pt)} | "
                         f"{ratio(r['charrnn'], pt)} | | | | {mb(r['rss_kb'])} |")
        elif g == "classifier-training":
            p = find(torch_records, bench="classifier-training", threads=r["threads"])
            pt = p["names_per_s"] if p else None
            name = f"classifier training names/s (Corpora/names, H=128), {r['threads']} thread{'s' if r['threads'] > 1 else ''}"
            lines.append(f"| {name} | {fmt(r['charrnn'])} | {fmt(pt)} | {ratio(r['charrnn'], pt)} | | | | {mb(r['rss_kb'])} |")
        elif g == "classification":
            for threads in threads_list:
                p = find(torch_records, bench="classification", threads=threads)
                pt = p["names_per_s"] if p else None
                name = f"classification names/s (batches of 256 in PyTorch), {threads} thread{'s' if threads > 1 else ''}"
                lines.append(f"| {name} | {fmt(r['charrnn'])}{'' if threads == threads_list[0] else ' ‡'} | {fmt(pt)} | "
                             f"{ratio(r['charrnn'], pt)} | | | | {mb(r['rss_kb'])} |")
        elif g == "tokenizer":
            lines.append(f"| tokenizer MB/s, `tokenize --stats` {os.path.basename(r['corpus'])} "
                         f"({r['bytes'] / 1e6:.1f} MB, whole process) | {fmt(r['charrnn'], 1)} | – | – | | | | {mb(r['rss_kb'])} |")
        elif g == "startup":
            lines.append(f"| process start-up, ms (`charrnn --version`) | {fmt(r['charrnn_ms'], 1)} | – | – | | | | {mb(r['rss_kb'])} |")
        elif g == "load":
            for threads in threads_list:
                p = find(torch_records, bench="load", model=r["model"], threads=threads)
                pt = p["ms"] if p else None
                name = f"load model + first letter, ms, H=256 V={r['V']}, {threads} thread{'s' if threads > 1 else ''}"
                lines.append(f"| {name} | {fmt(r['charrnn_ms'], 1)}{'' if threads == threads_list[0] else ' ‡'} | "
                             f"{fmt(pt, 1)} | {ratio(pt, r['charrnn_ms'])} | | | | {mb(r['rss_kb'])} |")
    return "\n".join(lines)


# Issue 17's targets for a whole training step: share of the single-core FMA peak on one thread,
# and the speed-up of two threads over one.
PEAK_TARGETS = {("rnn", 256, 63): 0.85, ("rnn", 512, 63): 0.85, ("rnn", 256, 8728): 0.80, ("lstm", 256, 63): 0.80,
                ("gru", 256, 63): 0.80}
SCALING_TARGETS = {("rnn", 256, 63): 1.85, ("rnn", 512, 63): 1.85}


def targets_table(results, peak):
    """One row per training configuration: charrnn's share of the single-core peak on one
    thread, and two threads over one, beside the targets."""
    lines = ["| training step | % of 1-core peak, 1 thread | target | 2 threads ÷ 1 thread | target |",
             "|---|---:|---:|---:|---:|"]
    rows = {}
    for r in results:
        if r["group"] == "training" and r["charrnn"]:
            rows.setdefault((r["cell"], r["H"], r["V"]), {})[r["threads"]] = r["charrnn"]
    for (cell, h, v), rates in rows.items():
        share = None
        if peak and 1 in rates:
            share = 100 * rates[1] * training_flops(h, v, cell) / 1e9 / peak["single_core_gflops"]
        scaling = rates[2] / rates[1] if 1 in rates and 2 in rates else None
        target, scale_target = PEAK_TARGETS.get((cell, h, v)), SCALING_TARGETS.get((cell, h, v))
        lines.append(f"| {cell} H={h} V={v} | {f'{share:.0f}%' if share else '–'} | {f'{100 * target:.0f}%' if target else '–'} | "
                     f"{f'{scaling:.2f}×' if scaling else '–'} | {f'{scale_target:.2f}×' if scale_target else '–'} |")
    return "\n".join(lines)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--charrnn", default=".build/release/charrnn", help="the charrnn binary (default .build/release/charrnn)")
    parser.add_argument("--fma-peak", default="Benchmarks/.build/release/fma-peak", help="the fma-peak binary")
    parser.add_argument("--python", default=".venv-ref/bin/python", help="Python with torch (default .venv-ref/bin/python)")
    parser.add_argument("--speed-script", default="Benchmarks/pytorch/speed.py")
    parser.add_argument("--names", default="Corpora/names")
    parser.add_argument("--tokenizer-corpus", default="../shared/data/tang/tang.txt")
    parser.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated: " + ", ".join(GROUPS))
    parser.add_argument("--repeats", type=int, default=3, help="runs (or run pairs) per figure; medians (default 3)")
    parser.add_argument("--target-seconds", type=float, default=4.0,
                        help="extra seconds the longer run of a differenced pair should take (default 4)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 1 repeat, 1 s differences, no H=512 training, short PyTorch runs")
    parser.add_argument("--cells", default="rnn,lstm,gru",
                        help="the cells whose training and sampling rows to measure (default rnn,lstm,gru)")
    parser.add_argument("--no-pytorch", action="store_true", help="measure charrnn only")
    parser.add_argument("--json", help="also write every measurement (JSON lines) to this file")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary directory (models, split)")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.target_seconds = 1, 1.0
    groups = [g for g in args.only.split(",") if g]
    for g in groups:
        if g not in GROUPS:
            parser.error(f"unknown group {g!r}; choose from {', '.join(GROUPS)}")
    threads_list = [int(x) for x in args.threads.split(",")]
    cells = [c for c in args.cells.split(",") if c]
    for c in cells:
        if c not in GATES:
            parser.error(f"unknown cell {c!r}; choose from {', '.join(GATES)}")
    global TRAIN_CONFIGS, SAMPLE_CORPORA
    TRAIN_CONFIGS = [config for config in TRAIN_CONFIGS if config[5] in cells]
    SAMPLE_CORPORA = [config for config in SAMPLE_CORPORA if config[2] in cells]
    if not os.path.exists(os.path.join(ROOT, args.charrnn)):
        parser.error(f"no charrnn binary at {args.charrnn} (swift build -c release, or --charrnn PATH)")

    load_before = loadavg()
    tmp = tempfile.mkdtemp(prefix="charrnn-compare-")
    runner = Runner(tmp)
    started = time.time()
    try:
        peak = run_fma_peak(args, runner)
        if peak:
            log(f"FMA peak: {peak['single_core_gflops']:.1f} GFLOP/s on one core, {peak['all_core_gflops']:.1f} on {peak['cores']}")
        results, models, split = [], [], None
        if "training" in groups:
            measure_training(args, runner, tmp, threads_list, results)
        if "sampling" in groups or "load" in groups:
            models = make_models(args, runner, tmp)
        if "sampling" in groups:
            measure_sampling(args, runner, results, models, threads_list)
        if "classifier" in groups:
            split = measure_classifier(args, runner, tmp, threads_list, results)
        if "tokenizer" in groups:
            measure_tokenizer(args, runner, results)
        if "load" in groups:
            measure_load(args, runner, results, models)
        torch_records = [] if args.no_pytorch else run_pytorch(args, runner, results, models, split, threads_list, groups)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                for record in [{"fma_peak": peak}] + results + torch_records:
                    f.write(json.dumps(record) + "\n")
        meta = find(torch_records, bench="meta")
        print(table(results, torch_records, peak, threads_list))
        print()
        if "training" in groups:
            print(targets_table(results, peak))
            print()
        print(f"Medians of {args.repeats} run(s){' (--quick)' if args.quick else ''}; charrnn {args.charrnn}"
              + (f", PyTorch {meta['torch']}" if meta else "") + f"; load average (1, 5, 15 min) {load_before} at the start, {loadavg()} at the end;"
              f" {time.time() - started:.0f} s in all.")
        print("ratio: charrnn's speed over PyTorch's (above 1: charrnn faster). GFLOP/s counts 6·G·H² + 6·H·V per"
              " character (G = 1, 4, 3 gates for rnn, lstm, gru). FMA peak: fma-peak's median for 1 core (1-thread rows) or all cores."
              " charrnn peak RSS: the largest ru_maxrss of the row's runs.")
        if len(threads_list) > 1 and {"sampling", "classifier", "load"} & set(groups):
            print("‡ the same charrnn measurement as the row above: classify and load have no --threads option.")
        if "load" in groups:
            print("load: charrnn is a whole process (start-up included); PyTorch is in-process, after Python start-up"
                  + (f" and `import torch` ({meta['import_torch_ms']:.0f} ms)" if meta else "") + ".")
    finally:
        if args.keep_temp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
