#!/usr/bin/env python3
"""The 2017 PyTorch char-RNN classification tutorial's own training loop, timed on charrnn's split
of the same names, for a learner to put beside `charrnn train-classifier --recipe pytorch-tutorial`.

    charrnn train-classifier --data Corpora/names --recipe pytorch-tutorial --steps 1 --eval-every 1 \
        --out /tmp/split-model.safetensors --save-split /tmp/split.json
    ~/.cache/charrnn-venv/bin/python python/bench/tutorial_loop.py --split /tmp/split.json [--iterations 100000]

The network is the tutorial's SimpleRNN and the loop is the tutorial's: n_hidden 128, each
iteration a category drawn uniformly then one of its training names, the name fed one letter at a
time from a zero hidden state, NLLLoss on the output of the last letter, backward, and plain SGD
(p -= 0.005 · grad). Letters are one-hot over the training names' characters (code points; the
tutorial first turns names into ASCII, charrnn keeps every letter, so this uses charrnn's letters,
not the tutorial's 57). At the end it scores the held-out names as charrnn does (a name listed
under several categories counts as right for any of them; macro-F1 over the categories) and
prints one JSON line: seconds of the loop, iterations per second, the step of a NaN loss if one
occurs (the loop then stops, as the tutorial would silently go on with NaN weights), accuracy and
macro-F1.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # python/, for charrnn_torch
from charrnn_torch.tutorial import SimpleRNN  # noqa: E402  the tutorial's network, as it wrote it


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, help="the JSON of charrnn train-classifier --save-split")
    parser.add_argument("--iterations", type=int, default=100_000, help="n_iters (default: the tutorial's 100000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as charrnn's batch of one)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    split = json.load(open(args.split, encoding="utf-8"))
    categories = split["categories"]
    letters = sorted({ch for item in split["train"] for ch in item["name"]})
    index = {ch: i for i, ch in enumerate(letters)}

    def line_to_tensor(line):  # [len, 1, n_letters]; a letter never seen in training stays all-zero
        tensor = torch.zeros(len(line), 1, len(letters))
        for i, ch in enumerate(line):
            if ch in index:
                tensor[i][0][index[ch]] = 1
        return tensor

    category_lines = {c: [] for c in range(len(categories))}
    for item in split["train"]:  # one example per category a name is listed under, as charrnn trains
        for c in item["categories"]:
            category_lines[categories.index(c)].append(item["name"])
    pools = [c for c in category_lines if category_lines[c]]
    tensors = {}

    model = SimpleRNN(len(letters), 128, len(categories))
    criterion = torch.nn.NLLLoss()
    learning_rate = 0.005
    diverged = None
    start = time.perf_counter()
    for step in range(1, args.iterations + 1):
        category = random.choice(pools)  # randomTrainingExample: a category, then one of its names
        line = random.choice(category_lines[category])
        line_tensor = tensors.get(line)
        if line_tensor is None:
            line_tensor = tensors[line] = line_to_tensor(line)
        hidden = model.init_hidden()
        model.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = model(line_tensor[i], hidden)
        loss = criterion(output, torch.tensor([category]))
        loss.backward()
        for p in model.parameters():
            if p.grad is not None:  # a one-letter name leaves i2h without a gradient
                p.data.add_(p.grad.data, alpha=-learning_rate)
        if not math.isfinite(loss.item()):
            diverged = step
            break
    seconds = time.perf_counter() - start

    # Held-out scores as charrnn computes them (Sources/Classification).
    n = len(categories)
    true_positive, predicted_count, actual_count, right = [0] * n, [0] * n, [0] * n, 0
    with torch.no_grad():
        for item in split["held_out"]:
            labels = [categories.index(c) for c in item["categories"]]
            hidden = model.init_hidden()
            line_tensor = line_to_tensor(item["name"])
            for i in range(line_tensor.size()[0]):
                output, hidden = model(line_tensor[i], hidden)
            predicted = int(output.argmax())
            actual = predicted if predicted in labels else labels[0]
            right += predicted in labels
            predicted_count[predicted] += 1
            actual_count[actual] += 1
            true_positive[actual] += predicted == actual
    f1 = []
    for c in range(n):
        precision = true_positive[c] / predicted_count[c] if predicted_count[c] else 0.0
        recall = true_positive[c] / actual_count[c] if actual_count[c] else 0.0
        f1.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    done = diverged or args.iterations
    print(json.dumps({"iterations": done, "seconds": round(seconds, 1), "iterations_per_second": round(done / seconds),
                      "diverged_at": diverged, "letters": len(letters), "held_out": len(split["held_out"]),
                      "accuracy": round(right / len(split["held_out"]), 4), "macro_f1": round(sum(f1) / n, 4),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
