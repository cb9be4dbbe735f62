#!/usr/bin/env bash
# Training speed, chars/s, of charrnn_torch.train on 1 and 2 processes (gloo, CPU) against
# `charrnn train` on 1 and 2 threads, at H = 512, B = 32, T = 64 on Corpora/kjv.txt.
# Steady state: each configuration runs twice, SHORT and LONG updates, and the rate is
# (LONG − SHORT) · B · T / (time LONG − time SHORT), so start-up (importing torch, reading and
# encoding the corpus, the final save) cancels out. Prints one line per configuration and repeat.
# Usage (from the repository root, after swift build -c release --product charrnn):
#   python/bench/speed.sh [VENV] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${1:-$HOME/.cache/charrnn-venv}"
repeats="${2:-3}"
short=40 long=200
charrnn="$PWD/.build/release/charrnn"
out=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-speed.XXXXXX")
export PYTHONPATH="$PWD/python" CHARRNN="$charrnn"
common=(--corpus Corpora/kjv.txt --hidden 512 --batch-size 32 --seq-length 64 --val-fraction 0 --eval-every 100000)

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>"$out/err" || { cat "$out/err"; exit 1; }
            end=$(date +%s.%N); echo "$end - $start" | bc; }
rate() { echo "scale=0; ($long - $short) * 32 * 64 / ($2 - $1)" | bc; }

for repeat in $(seq "$repeats"); do
    for threads in 1 2; do
        a=$(seconds "$charrnn" train "${common[@]}" --threads "$threads" --out "$out/c.safetensors" --steps $short)
        b=$(seconds "$charrnn" train "${common[@]}" --threads "$threads" --out "$out/c.safetensors" --steps $long)
        echo "charrnn train --threads $threads: $(rate "$a" "$b") chars/s"
    done
    for threads in 1 2; do
        run=("$venv/bin/python" -m charrnn_torch.train "${common[@]}" --threads "$threads")
        a=$(seconds "${run[@]}" --out "$out/p.safetensors" --steps $short)
        b=$(seconds "${run[@]}" --out "$out/p.safetensors" --steps $long)
        echo "charrnn_torch.train, 1 process, --threads $threads: $(rate "$a" "$b") chars/s"
    done
    for procs in 2; do
        run=("$venv/bin/python" -m torch.distributed.run --nproc_per_node "$procs" -m charrnn_torch.train "${common[@]}" --threads 1)
        a=$(seconds "${run[@]}" --out "$out/p.safetensors" --steps $short)
        b=$(seconds "${run[@]}" --out "$out/p.safetensors" --steps $long)
        echo "charrnn_torch.train, torchrun --nproc_per_node $procs, --threads 1 each: $(rate "$a" "$b") chars/s"
    done
done
rm -rf "$out"
