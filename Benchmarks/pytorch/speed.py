#!/usr/bin/env python3
"""PyTorch reference speeds for charrnn's benchmark table (Benchmarks/compare.py drives it).

    .venv-ref/bin/python Benchmarks/pytorch/speed.py --threads 1,2 [--quick] [--only training,sampling,...]

Prints one JSON object per line (after a "meta" line), for each thread count
(torch.set_num_threads) and each selected benchmark:

  training     chars/s of a char-RNN training step as the PyTorch char-RNN tutorials write it:
               nn.RNN(V, H, tanh) (or nn.LSTM, nn.GRU: a config's cell) fed dense one-hot float
               input [T, B, V], nn.Linear(H, V),
               cross-entropy, Adam (lr 2e-3), clip_grad_norm_(5), truncated BPTT over B streams
               of T steps with the hidden state carried and detached between batches. The data are
               a real corpus's letter ids (code points after NFC; the V-1 most frequent letters,
               the rest one unknown id). Steady state: after --warmup steps, the median over
               --blocks timed blocks of about --block-seconds each.
  sampling     chars/s of one stream at H (any cell): per character one-hot -> rnn -> linear ->
               softmax(logits / 0.8) -> torch.multinomial, under torch.no_grad, random weights.
  load         ms to load a charrnn .safetensors model (--load-model, repeatable; its tensor names
               are PyTorch's) into nn.RNN + nn.Linear and draw the first character; in process,
               so Python start-up and `import torch` (reported in "meta") are not included.
  classifier   names/s of Benchmarks/pytorch/names_classifier.py's model (nn.RNN(v, 128) +
               nn.Linear over packed one-hot names, Adam 2e-3, clip 5, batch 32): training (one
               epoch = shuffled mini-batches over the training names + scoring the held-out
               names, as charrnn's epochs do; median of the epochs after the first) and
               classification (batches of 256 names: encode, forward, softmax, top 3).
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
import unicodedata

_import_started = time.perf_counter()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

IMPORT_TORCH_SECONDS = time.perf_counter() - _import_started
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def emit(record):
    print(json.dumps(record), flush=True)


def note(text):
    print(f"speed.py: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data

_corpus_cache = {}


def letter_ids(path, v):
    """The corpus's letters (NFC code points) as ids 0..v-1: the v-1 most frequent letters keep
    their own id (by falling frequency), the rest share id v-1. Returns (ids, letters in corpus)."""
    key = (path, v)
    if key not in _corpus_cache:
        with open(path, encoding="utf-8") as f:
            text = unicodedata.normalize("NFC", f.read())
        counts = {}
        for ch in text:
            counts[ch] = counts.get(ch, 0) + 1
        ranked = sorted(counts, key=lambda ch: (-counts[ch], ch))
        if len(ranked) <= v:
            index = {ch: i for i, ch in enumerate(ranked)}
        else:
            index = {ch: i for i, ch in enumerate(ranked[: v - 1])}
        other = v - 1
        ids = torch.tensor([index.get(ch, other) for ch in text], dtype=torch.long)
        _corpus_cache[key] = (ids, len(ranked))
    return _corpus_cache[key]


def default_corpus(v):
    return os.path.join(ROOT, "Corpora", "kjv.txt") if v <= 1000 else os.path.join(ROOT, "..", "shared", "data", "tang", "tang.txt")


# ---------------------------------------------------------------- timing helpers

def calibrate(step, seconds, warmup):
    """Run `warmup` steps, then time a few more to pick how many steps make a block of `seconds`."""
    for _ in range(warmup):
        step()
    n, elapsed = 1, 0.0
    while True:
        started = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - started
        if elapsed >= 0.2 or n >= 64:
            break
        n *= 2
    return max(1, round(n * seconds / elapsed))


def timed_blocks(step, per_block, blocks):
    """Seconds of each of `blocks` blocks of `per_block` steps."""
    times = []
    for _ in range(blocks):
        started = time.perf_counter()
        for _ in range(per_block):
            step()
        times.append(time.perf_counter() - started)
    return times


# ---------------------------------------------------------------- training

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def make_rnn(cell, v, h):
    if cell == "lstm":
        return torch.nn.LSTM(v, h, batch_first=False)
    if cell == "gru":
        return torch.nn.GRU(v, h, batch_first=False)
    return torch.nn.RNN(v, h, nonlinearity="tanh", batch_first=False)


def zero_state(cell, b, h):
    return (torch.zeros(1, b, h), torch.zeros(1, b, h)) if cell == "lstm" else torch.zeros(1, b, h)


def detached(state):
    return tuple(x.detach() for x in state) if isinstance(state, tuple) else state.detach()


def bench_training(h, b, t, v, corpus, args, cell="rnn"):
    torch.manual_seed(0)
    ids, distinct = letter_ids(corpus, v)
    n = ids.numel()
    stream = n // b
    starts = torch.arange(b) * stream
    rnn = make_rnn(cell, v, h)
    decoder = torch.nn.Linear(h, v)
    params = list(rnn.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=2e-3)
    state = {"h": zero_state(cell, b, h), "offset": 0}
    window = torch.arange(t + 1)

    def step():
        if state["offset"] + t + 1 > stream:
            state["offset"] = 0
            state["h"] = zero_state(cell, b, h)
        positions = starts.unsqueeze(0) + state["offset"] + window.unsqueeze(1)  # [T+1, B]
        chunk = ids[positions]
        state["offset"] += t
        x = F.one_hot(chunk[:-1], v).float()  # dense one-hot [T, B, V], as the tutorials do
        y = chunk[1:]
        optimizer.zero_grad()
        out, hn = rnn(x, state["h"])
        logits = decoder(out)
        loss = F.cross_entropy(logits.reshape(-1, v), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()
        state["h"] = detached(hn)

    per_block = calibrate(step, args.block_seconds, args.warmup)
    times = timed_blocks(step, per_block, args.blocks)
    rates = [per_block * b * t / s for s in times]
    rate = statistics.median(rates)
    flops = 6 * GATES[cell] * h * h + 6 * h * v
    return {"bench": "training", "cell": cell, "H": h, "B": b, "T": t, "V": v, "corpus": os.path.relpath(corpus, ROOT),
            "corpus_letters": distinct, "chars_per_s": rate, "gflops": rate * flops / 1e9,
            "steps_per_block": per_block, "block_chars_per_s": rates}


# ---------------------------------------------------------------- sampling

def make_lm(h, v, cell="rnn"):
    return make_rnn(cell, v, h), torch.nn.Linear(h, v)


def sampler(rnn, decoder, temperature=0.8):
    v, h = rnn.input_size, rnn.hidden_size
    cell = "lstm" if isinstance(rnn, torch.nn.LSTM) else "rnn"
    state = {"h": zero_state(cell, 1, h), "token": 0}

    def step():
        x = F.one_hot(torch.tensor([[state["token"]]]), v).float()  # [1, 1, V]
        out, state["h"] = rnn(x, state["h"])
        logits = decoder(out.view(1, h))
        probs = torch.softmax(logits / temperature, dim=-1)
        state["token"] = int(torch.multinomial(probs, 1).item())

    return step


def bench_sampling(h, v, args, cell="rnn"):
    torch.manual_seed(0)
    rnn, decoder = make_lm(h, v, cell)
    with torch.no_grad():
        step = sampler(rnn, decoder)
        per_block = calibrate(step, args.block_seconds, 50)
        times = timed_blocks(step, per_block, args.blocks)
    rates = [per_block / s for s in times]
    return {"bench": "sampling", "cell": cell, "H": h, "V": v, "chars_per_s": statistics.median(rates),
            "chars_per_block": per_block, "block_chars_per_s": rates}


# ---------------------------------------------------------------- load + first character

def bench_load(path, args):
    from safetensors.torch import load_file

    def once():
        started = time.perf_counter()
        tensors = load_file(path)
        w_ih, w_dec = tensors["rnn.weight_ih_l0"], tensors["decoder.weight"]
        h, v_in = tensors["rnn.weight_hh_l0"].shape[0], w_ih.shape[1]
        rnn = torch.nn.RNN(v_in, h, nonlinearity="tanh", batch_first=False)
        decoder = torch.nn.Linear(h, w_dec.shape[0])
        rnn.load_state_dict({k[4:]: x for k, x in tensors.items() if k.startswith("rnn.")})
        decoder.load_state_dict({k[8:]: x for k, x in tensors.items() if k.startswith("decoder.")})
        with torch.no_grad():
            sampler(rnn, decoder)()
        return time.perf_counter() - started, h, v_in

    once()  # warm the file cache and torch's lazy initialisation
    results = [once() for _ in range(max(3, args.blocks))]
    ms = statistics.median(r[0] for r in results) * 1e3
    return {"bench": "load", "model": path, "H": results[0][1], "V": results[0][2], "ms": ms,
            "runs_ms": [r[0] * 1e3 for r in results]}


# ---------------------------------------------------------------- classifier

def names_split(args):
    """(categories, train [(name, [categories])], held [(name, [categories])]) from --split (charrnn's
    --save-split file) or from the --names folder with a seeded stratified 10% held out."""
    if args.split:
        split = json.load(open(args.split, encoding="utf-8"))
        item = lambda it: (it["name"], it["categories"])  # noqa: E731
        return split["categories"], [item(it) for it in split["train"]], [item(it) for it in split["held_out"]]
    folder = args.names
    categories = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".txt"))
    by_name = {}
    for cat in categories:
        with open(os.path.join(folder, cat + ".txt"), encoding="utf-8") as f:
            for line in f:
                name = unicodedata.normalize("NFC", line.strip()).lower()
                if name:
                    by_name.setdefault(name, [])
                    if cat not in by_name[name]:
                        by_name[name].append(cat)
    rng = random.Random(0)
    train, held = [], []
    for cat in categories:
        group = sorted(n for n, cats in by_name.items() if cats[0] == cat)
        rng.shuffle(group)
        k = round(len(group) * 0.1)
        held += [(n, by_name[n]) for n in group[:k]]
        train += [(n, by_name[n]) for n in group[k:]]
    return categories, train, held


def bench_classifier(args, threads):
    torch.manual_seed(0)
    random.seed(0)
    categories, train_names, held_names = names_split(args)
    index = {c: i for i, c in enumerate(categories)}
    counts = {}
    for name, _ in train_names:
        for ch in name:
            counts[ch] = counts.get(ch, 0) + 1
    letter_id = {ch: i + 1 for i, ch in enumerate(sorted(ch for ch, n in counts.items() if n >= 2))}  # 0: unknown
    v, c, hidden = len(letter_id) + 1, len(categories), 128

    def encode(name):
        return [letter_id.get(ch, 0) for ch in name]

    # names_classifier.py's training set: one example per (name, category).
    train = [(encode(n), index[cat]) for n, cats in train_names for cat in cats]
    held = [encode(n) for n, _ in held_names]
    rnn = torch.nn.RNN(v, hidden, nonlinearity="tanh", batch_first=True)
    decoder = torch.nn.Linear(hidden, c)
    params = list(rnn.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=2e-3)

    def forward(batch):
        lengths = torch.tensor([len(x) for x in batch])
        x = torch.zeros(len(batch), int(lengths.max()), v)
        for i, ids in enumerate(batch):
            x[i, torch.arange(len(ids)), torch.tensor(ids)] = 1
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = rnn(packed)
        return decoder(h[-1])

    def classify(encoded):
        with torch.no_grad():
            for start in range(0, len(encoded), 256):
                probs = torch.softmax(forward(encoded[start:start + 256]), dim=-1)
                probs.topk(min(3, c), dim=-1)

    def epoch():
        random.shuffle(train)
        for start in range(0, len(train), 32):
            batch = train[start:start + 32]
            optimizer.zero_grad()
            loss = F.cross_entropy(forward([x for x, _ in batch]), torch.tensor([y for _, y in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
        classify(held)

    epoch_times = []
    for _ in range(args.classifier_epochs):
        started = time.perf_counter()
        epoch()
        epoch_times.append(time.perf_counter() - started)
    timed = epoch_times[1:] if len(epoch_times) > 1 else epoch_times
    train_rate = len(train) / statistics.median(timed)
    emit({"bench": "classifier-training", "threads": threads, "names_per_epoch": len(train),
          "held_out": len(held), "V": v, "hidden": hidden, "names_per_s": train_rate,
          "epoch_seconds": epoch_times})

    everyone = [n for n, _ in train_names] + [n for n, _ in held_names]

    def classify_all():
        classify([encode(n) for n in everyone])

    classify_all()
    times = [0.0] * max(3, args.blocks)
    for i in range(len(times)):
        started = time.perf_counter()
        classify_all()
        times[i] = time.perf_counter() - started
    one_by_one = everyone[:2000]
    started = time.perf_counter()
    for n in one_by_one:
        classify([encode(n)])
    single_rate = len(one_by_one) / (time.perf_counter() - started)
    emit({"bench": "classification", "threads": threads, "names": len(everyone),
          "names_per_s": len(everyone) / statistics.median(times), "names_per_s_one_at_a_time": single_rate,
          "runs_seconds": times})


# ---------------------------------------------------------------- main

def parse_configs(text, width):
    configs = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        fields = part.split(",")
        numbers = tuple(int(f) for f in fields[:width])
        configs.append((numbers, fields[width:]))
    return configs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--only", default="training,sampling,load,classifier",
                        help="comma-separated benchmarks: training, sampling, load, classifier")
    parser.add_argument("--train-configs", default="128,32,64,65;256,32,64,65;512,32,64,65;256,32,64,8800",
                        help="H,B,T,V[,corpus[,cell]] separated by ';' (corpus default: kjv for V<=1000, else "
                             "tang; cell rnn, lstm or gru, default rnn)")
    parser.add_argument("--sample-configs", default="256,65;256,8800", help="H,V[,cell] separated by ';'")
    parser.add_argument("--load-model", action="append", default=[], help="a charrnn .safetensors model (repeatable)")
    parser.add_argument("--names", default=os.path.join(ROOT, "Corpora", "names"))
    parser.add_argument("--split", help="charrnn train-classifier --save-split file (instead of splitting --names)")
    parser.add_argument("--warmup", type=int, default=3, help="training steps before timing (default 3)")
    parser.add_argument("--blocks", type=int, default=5, help="timed blocks per measurement (default 5)")
    parser.add_argument("--block-seconds", type=float, default=2.0, help="approximate length of a block (default 2)")
    parser.add_argument("--classifier-epochs", type=int, default=3, help="epochs timed; the first is warm-up (default 3)")
    parser.add_argument("--quick", action="store_true", help="short runs: 3 blocks of 0.5 s, 2 classifier epochs")
    args = parser.parse_args()
    if args.quick:
        args.blocks, args.block_seconds, args.classifier_epochs, args.warmup = 3, 0.5, 2, 2
    only = set(args.only.split(","))
    unknown = only - {"training", "sampling", "load", "classifier"}
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    emit({"bench": "meta", "torch": torch.__version__, "import_torch_ms": IMPORT_TORCH_SECONDS * 1e3,
          "blocks": args.blocks, "block_seconds": args.block_seconds})
    for threads in [int(x) for x in args.threads.split(",")]:
        torch.set_num_threads(threads)
        if "training" in only:
            for (h, b, t, v), rest in parse_configs(args.train_configs, 4):
                corpus = rest[0] if rest and rest[0] else default_corpus(v)
                cell = rest[1] if len(rest) > 1 else "rnn"
                note(f"training {cell} H={h} B={b} T={t} V={v} on {threads} thread(s)")
                record = bench_training(h, b, t, v, os.path.abspath(corpus), args, cell)
                emit({**record, "threads": threads})
        if "sampling" in only:
            for (h, v), rest in parse_configs(args.sample_configs, 2):
                cell = rest[0] if rest else "rnn"
                note(f"sampling {cell} H={h} V={v} on {threads} thread(s)")
                emit({**bench_sampling(h, v, args, cell), "threads": threads})
        if "load" in only:
            for path in args.load_model:
                note(f"load {path} on {threads} thread(s)")
                emit({**bench_load(path, args), "threads": threads})
        if "classifier" in only:
            note(f"classifier on {threads} thread(s)")
            bench_classifier(args, threads)


if __name__ == "__main__":
    main()
