#!/usr/bin/env python3
"""The PyTorch reference for charrnn's names classifier, on the very same split.

    swift build -c release
    .build/release/charrnn train-classifier --data Corpora/names --out /tmp/names.safetensors --save-split /tmp/split.json
    .venv-ref/bin/python Benchmarks/pytorch/names_classifier.py /tmp/split.json

The model is the PyTorch tutorial's kind: nn.RNN (tanh) + nn.Linear over one-hot letters, read
from a zero state to the name's end (packed sequences, so padding changes nothing), trained with
Adam and plain cross-entropy in shuffled mini-batches, and scored on the held-out names after
every epoch; it reports its best epoch's accuracy and macro-F1 (a prediction counts as right when
it is any of the name's categories, as charrnn counts it). Letters are the names' code points
(charrnn's graphemes coincide with them for these names, which the split file holds normalized
and lowercased as charrnn read them); letters seen once in training become one unknown letter.
"""
import argparse
import json
import random
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("split")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)

    split = json.load(open(args.split, encoding="utf-8"))
    categories = split["categories"]
    index = {c: i for i, c in enumerate(categories)}
    counts = {}
    for item in split["train"]:
        for ch in item["name"]:
            counts[ch] = counts.get(ch, 0) + 1
    letters = sorted(ch for ch, n in counts.items() if n >= 2)
    letter_id = {ch: i + 1 for i, ch in enumerate(letters)}  # 0: unknown
    v, c = len(letters) + 1, len(categories)

    def encode(name):
        return [letter_id.get(ch, 0) for ch in name]

    train = [(encode(it["name"]), index[cat]) for it in split["train"] for cat in it["categories"]]
    held = [(encode(it["name"]), [index[cat] for cat in it["categories"]]) for it in split["held_out"]]

    rnn = torch.nn.RNN(v, args.hidden, nonlinearity="tanh", batch_first=True)
    decoder = torch.nn.Linear(args.hidden, c)
    params = list(rnn.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)

    def forward(batch):
        lengths = torch.tensor([len(x) for x in batch])
        width = int(lengths.max())
        x = torch.zeros(len(batch), width, v)
        for i, ids in enumerate(batch):
            x[i, torch.arange(len(ids)), torch.tensor(ids)] = 1
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = rnn(packed)
        return decoder(h[-1])

    def evaluate():
        right, per_true, per_pred, hits = 0, [0] * c, [0] * c, [0] * c
        with torch.no_grad():
            for start in range(0, len(held), 256):
                chunk = held[start:start + 256]
                predicted = forward([x for x, _ in chunk]).argmax(1).tolist()
                for p, (_, truth) in zip(predicted, chunk):
                    actual = p if p in truth else truth[0]
                    per_true[actual] += 1
                    per_pred[p] += 1
                    if p == actual:
                        right += 1
                        hits[p] += 1
        f1s = []
        for k in range(c):
            if per_true[k] == 0:
                continue
            precision = hits[k] / per_pred[k] if per_pred[k] else 0
            recall = hits[k] / per_true[k]
            f1s.append(0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
        return right / len(held), sum(f1s) / len(f1s)

    best = (0, 0, 0)
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        random.shuffle(train)
        for start in range(0, len(train), args.batch_size):
            batch = train[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(forward([x for x, _ in batch]), torch.tensor([y for _, y in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
        accuracy, macro_f1 = evaluate()
        if accuracy > best[0]:
            best = (accuracy, macro_f1, epoch)
        print(f"epoch {epoch}: held-out accuracy {accuracy:.3f}, macro-F1 {macro_f1:.3f}", flush=True)
    print(json.dumps({"torch": torch.__version__, "best_accuracy": best[0], "macro_f1_at_best": best[1],
                      "best_epoch": best[2], "seconds": time.time() - started, "held_out": len(held)}))


if __name__ == "__main__":
    main()
