"""python -m charrnn_torch.train --corpus TEXT --out MODEL.safetensors [options]

Trains a charrnn language model in PyTorch, on one process or, under `torchrun --nproc_per_node
N`, with DistributedDataParallel: gloo on the CPU, NCCL on CUDA (chosen by --device auto). The
batching is charrnn's: the training text cut into B parallel streams, T steps per batch, the
hidden state carried from batch to batch and reset at each epoch (truncated backpropagation
through time). The B streams are split across the N processes, each loss is scaled so that the
averaged gradient is that of the whole batch's mean loss, so N processes make the same updates
as one (up to float rounding). Adam with charrnn's defaults, gradients clipped to a global norm.
Rank 0 validates on the held-out part by the rule of `charrnn eval --held-out`, keeps the best
model in --out (a charrnn model file, written atomically) and the latest state in
<out>.resume.pt (for --resume).
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time
from contextlib import nullcontext

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .data import encode, validation_start
from .model import CELL_OPTIONS, TUTORIAL, CharRNN, CharRNNError, load, nats_per_token, save

RESUME_VERSION = 1


def parse_arguments(argv=None):
    p = argparse.ArgumentParser(prog="python -m charrnn_torch.train", description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="the UTF-8 text to learn from")
    p.add_argument("--out", required=True, help="where to write the best model (a charrnn .safetensors file)")
    p.add_argument("--cell", choices=sorted(CELL_OPTIONS), default="rnn", help="rnn (Elman, tanh), lstm or gru (default: rnn)")
    p.add_argument("--hidden", type=int, default=256, help="hidden units per layer (default: 256)")
    p.add_argument("--layers", type=int, default=1, help="stacked recurrent layers (default: 1)")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout between stacked layers, 0 to 1 (default: 0)")
    p.add_argument("--batch-size", type=int, default=32, help="parallel streams per batch, over all processes (default: 32)")
    p.add_argument("--seq-length", type=int, default=64, help="time steps per batch (default: 64)")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate (default: 0.002)")
    p.add_argument("--clip", type=float, default=5.0, help="clip gradients to this global L2 norm; 0: none (default: 5)")
    p.add_argument("--steps", type=int, help="stop after this many updates in all")
    p.add_argument("--epochs", type=int, help="stop after this many passes over the training text")
    p.add_argument("--max-time", type=float, help="stop after this many seconds of training, keeping the best model")
    p.add_argument("--val-fraction", type=float, default=0.05, help="share held out for validation (default: 0.05)")
    p.add_argument("--eval-every", type=int, help="updates between validations (default: an epoch, at most 1,000, "
                                                  "or 1/20 of --steps)")
    p.add_argument("--patience", type=int, default=4, help="validations in a row without improvement that end the "
                                                           "run; 0: never (default: 4)")
    p.add_argument("--lr-plateau", type=float, default=0.5, help="multiply the learning rate by this after a "
                                                                 "validation without improvement (default: 0.5)")
    p.add_argument("--min-improvement", type=float, default=0.001, help="share by which a held-out loss must fall "
                                                                        "below the best to count as better (default: 0.001)")
    p.add_argument("--rng-seed", type=int, default=0, help="seed of the initial weights and dropout (default: 0)")
    p.add_argument("--init-from", help="start from this charrnn language model's weights and vocabulary")
    p.add_argument("--resume", action="store_true", help="continue from <out>.resume.pt")
    p.add_argument("--unit", choices=("grapheme", "word"), help="what a letter is (default: grapheme)")
    p.add_argument("--case", choices=("preserve", "lower"), help="keep case or lowercase (default: preserve)")
    p.add_argument("--max-vocab", type=int, help="keep at most this many letters; the rest become an unknown token")
    p.add_argument("--min-count", type=int, help="letters seen fewer times become the unknown token")
    p.add_argument("--lossy", action="store_true", help="replace invalid UTF-8 with U+FFFD instead of stopping")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA (NCCL) when a GPU is there, else the CPU (gloo) (default: auto)")
    p.add_argument("--amp", choices=("off", "bf16", "fp16"), default="off",
                   help="mixed precision on CUDA: bf16 or fp16 autocast (fp16 with a gradient scaler) (default: off)")
    p.add_argument("--threads", type=int, help="CPU threads per process (default: the cores divided among the "
                                               "processes on this machine)")
    p.add_argument("--history", help="append one JSON line per update and per validation to this file (rank 0)")
    p.add_argument("--charrnn", help="the charrnn binary (default: $CHARRNN, or charrnn on PATH)")
    args = p.parse_args(argv)
    positive = {"--hidden": args.hidden, "--layers": args.layers, "--batch-size": args.batch_size,
                "--seq-length": args.seq_length, "--steps": args.steps, "--epochs": args.epochs,
                "--eval-every": args.eval_every, "--threads": args.threads, "--min-count": args.min_count}
    for name, value in positive.items():
        if value is not None and value < 1:
            p.error(f"{name} must be at least 1")
    checks = [(args.hidden <= 65_536, "--hidden must be at most 65536"), (args.layers <= 64, "--layers must be at most 64"),
              (0 <= args.dropout < 1, "--dropout must be in [0, 1)"), (args.lr > 0, "--lr must be positive"),
              (args.clip >= 0, "--clip must be 0 or more"), (0 <= args.val_fraction < 1, "--val-fraction must be in [0, 1)"),
              (args.max_time is None or args.max_time > 0, "--max-time must be positive"),
              (args.patience >= 0, "--patience must be 0 or more"), (0 < args.lr_plateau <= 1, "--lr-plateau must be in (0, 1]"),
              (0 <= args.min_improvement < 1, "--min-improvement must be in [0, 1)"),
              (args.max_vocab is None or args.max_vocab >= 2, "--max-vocab must be at least 2"),
              (not (args.resume and args.init_from), "give --resume or --init-from, not both")]
    for ok, message in checks:
        if not ok:
            p.error(message)
    return args


# MARK: - Processes: one, or a torchrun group

class Group:
    """This process's place: rank, world size, device, and the collectives used (no-ops alone)."""

    def __init__(self, args):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world)))
        cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
        if args.device == "cuda" and not torch.cuda.is_available():
            raise CharRNNError("--device cuda, but PyTorch sees no CUDA device")
        if args.amp != "off" and not cuda:
            raise CharRNNError(f"--amp {args.amp} is for CUDA; on the CPU train in float32 (--amp off)")
        if cuda:
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device("cpu")
            torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local_world))
        self.backend = "nccl" if cuda else "gloo"
        if self.world > 1:
            dist.init_process_group(self.backend)

    @property
    def main(self):
        return self.rank == 0

    def broadcast(self, obj):
        """Rank 0's `obj`, on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def sum(self, values):
        """The sum over ranks of a few float64 values."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def gather(self, obj):
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


# MARK: - The data and the model

def prepare(args, group):
    """On rank 0: the corpus as ids (cut by `charrnn encode`), the model's metadata and, with
    --init-from or --resume, the weights and state to start from. Broadcast to every rank, so
    that only rank 0 needs the files and the charrnn binary."""
    if not group.main:
        return group.broadcast(None)
    try:
        check_outputs(args)
        start = None
        resume_path = resume_file(args.out)
        if args.resume:
            if not os.path.exists(resume_path):
                raise CharRNNError(f"{resume_path} does not exist; run without --resume to start training")
            start = torch.load(resume_path, map_location="cpu", weights_only=False)
            if start.get("version") != RESUME_VERSION:
                raise CharRNNError(f"{resume_path} was written by another charrnn_torch version; start over")
            meta = start["meta"]
            # The vocabulary is the model's: encode with it (write it to a temporary model file first).
            text = _encode_with(meta, start["model"], args)
            if len(text.ids) != start["tokens"] or fingerprint(text.ids) != start["fingerprint"]:
                raise CharRNNError(f"{args.corpus} is not the text {resume_path} was trained on; give the same --corpus, "
                                   "or start over without --resume")
            if (start["batch_size"], start["seq_length"]) != (args.batch_size, args.seq_length):
                raise CharRNNError(f"{resume_path} was trained with --batch-size {start['batch_size']} --seq-length "
                                   f"{start['seq_length']}; resume with those")
        elif args.init_from:
            model, meta = load(args.init_from)
            if meta["cell"] == TUTORIAL:
                raise CharRNNError(f"{args.init_from}: a tutorial-cell model; charrnn_torch.train trains nn.RNN, nn.LSTM "
                                   "and nn.GRU models only (train it with charrnn train)")
            if meta["task"] != "language-model":
                raise CharRNNError(f"{args.init_from}: a {meta['task']} model; fine-tuning needs a language model")
            if meta.get("decoder") is not None:
                raise CharRNNError(f"{args.init_from} has an adaptive decoder; charrnn_torch.train trains only the "
                                   "linear one: fine-tune it with charrnn train --init-from")
            text = encode(args.corpus, charrnn=args.charrnn, vocab_from=args.init_from, lossy=args.lossy)
            start = {"model": model.state_dict()}
        else:
            text = encode(args.corpus, charrnn=args.charrnn, unit=args.unit, case=args.case, max_vocab=args.max_vocab,
                          min_count=args.min_count, lossy=args.lossy)
            meta = dict(text.metadata, cell=CELL_OPTIONS[args.cell], hidden_size=args.hidden, num_layers=args.layers)
        payload = {"ids": text.ids, "newline": text.newline, "unknown": text.unknown, "meta": meta, "start": start}
    except CharRNNError as error:
        payload = {"error": str(error)}
    return group.broadcast(payload)


def _encode_with(meta, state_dict, args):
    """The corpus encoded with a model given as metadata and weights (a resume file's)."""
    import tempfile
    model = CharRNN(meta["cell"], len(meta["vocab"]), meta["hidden_size"], meta["num_layers"], len(meta["vocab"]))
    model.load_state_dict(state_dict)
    with tempfile.TemporaryDirectory(prefix="charrnn-resume-") as folder:
        path = os.path.join(folder, "model.safetensors")
        save(model, meta, path)
        return encode(args.corpus, charrnn=args.charrnn, vocab_from=path, lossy=args.lossy)


def fingerprint(ids):
    return hashlib.sha256(np.ascontiguousarray(ids, dtype="<u4").tobytes()).hexdigest()


def resume_file(out):
    return out + ".resume.pt"


class Streams:
    """charrnn's batching (Training/TextBatcher.swift) for this rank's share of the streams: the
    training ids cut into B streams of L = ⌊(N − 1) / B⌋ tokens; batch k gives each stream s
    tokens [s·L + kT, s·L + kT + T) as input and the same shifted by one as targets; an epoch is
    ⌊L / T⌋ batches. Rank r of n holds streams ⌊rB/n⌋ … ⌊(r+1)B/n⌋ − 1."""

    def __init__(self, ids, batch, steps, rank, world, device):
        self.batch, self.steps = batch, steps
        self.length = max(len(ids) - 1, 0) // batch
        self.per_epoch = self.length // steps
        if self.per_epoch < 1:
            raise CharRNNError(f"the training text has {len(ids)} tokens but one batch needs {batch * steps + 1}; use a "
                               "longer text or smaller --batch-size / --seq-length")
        self.first, self.last = rank * batch // world, (rank + 1) * batch // world
        rows = [ids[s * self.length:s * self.length + self.length + 1] for s in range(self.first, self.last)]
        self.rows = torch.as_tensor(np.stack(rows), dtype=torch.long, device=device)  # [b, L + 1]

    def batch_at(self, position):
        """Inputs and targets [T, b] of batch `position` of an epoch."""
        block = self.rows[:, position * self.steps:position * self.steps + self.steps + 1]
        return block[:, :-1].t(), block[:, 1:].t()


def carried_slice(state, first, last):
    """Streams first … last − 1 of a whole carried state (h, or (h, c); each [L, B, H])."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(part[:, first:last].contiguous() for part in state)
    return state[:, first:last].contiguous()


# MARK: - Training

def check_outputs(args):
    """Refuses an --out that would destroy an input, or that is not a file."""
    for output in (args.out, resume_file(args.out)):
        if os.path.exists(output) and not os.path.isfile(output):
            raise CharRNNError(f"--out {output} is not a regular file; give the path of a file to write")
        for path, option in ((args.corpus, "--corpus"), (args.init_from, "--init-from")):
            if path and os.path.exists(path) and os.path.exists(output) and os.path.samefile(path, output):
                raise CharRNNError(f"--out {output} is {option} {path}: writing it would destroy the input; "
                                   "give another path")


def train(args, group):
    payload = prepare(args, group)
    if "error" in payload:
        raise CharRNNError(payload["error"])
    ids, meta, start = payload["ids"], payload["meta"], payload["start"] or {}
    cut = validation_start(ids, args.val_fraction, payload["newline"])
    training, held_out = ids[:cut], ids[cut:]
    if len(held_out) < 2 and args.steps is None and args.epochs is None and args.max_time is None:
        raise CharRNNError(f"nothing of {args.corpus} is held out, so nothing says when to stop: give --steps, --epochs "
                           "or --max-time, or a --val-fraction above 0")
    if args.batch_size < group.world:
        raise CharRNNError(f"--batch-size {args.batch_size} is below the {group.world} processes: each needs a stream")
    B, T = args.batch_size, args.seq_length
    streams = Streams(training, B, T, group.rank, group.world, group.device)
    V = len(meta["vocab"])

    torch.manual_seed(args.rng_seed)  # the same initial weights on every rank (DDP also copies rank 0's)
    model = CharRNN(meta["cell"], V, meta["hidden_size"], meta["num_layers"], V, dropout=args.dropout).to(group.device)
    if "model" in start:
        model.load_state_dict(start["model"])
    torch.manual_seed(args.rng_seed * 1_000_003 + 1 + group.rank)  # dropout masks differ by rank
    net = model
    if group.world > 1:
        net = DistributedDataParallel(model, device_ids=[group.local_rank] if group.device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp)
    scaler = torch.amp.GradScaler("cuda", enabled=args.amp == "fp16")

    progress = {"step": 0, "position": 0, "epoch": 0, "best": None, "best_step": None, "stalled": 0,
                "rate_scale": 1.0, "seconds": 0.0}
    state = None
    if args.resume:
        optimizer.load_state_dict(start["optimizer"])
        progress.update(start["progress"])
        whole = start["carried"]
        if whole is not None:
            whole = tuple(t.to(group.device) for t in whole) if isinstance(whole, tuple) else whole.to(group.device)
        state = carried_slice(whole, streams.first, streams.last)
    every = args.eval_every or default_validate_every(args, streams.per_epoch)
    record = training_record(args, group, meta)
    log = open(args.history, "a", encoding="utf-8") if args.history and group.main else None
    if group.main and args.init_from:
        note(f"the network ({meta['cell']}, {meta['num_layers']} layer(s) of {meta['hidden_size']}) and the vocabulary come "
             f"from {args.init_from}")
    if group.main:
        note(f"{args.corpus}: {len(training):,} training tokens, {len(held_out):,} held out; vocabulary {V}"
             f"{' (with an unknown token)' if meta.get('unknown_token') is not None else ''}; "
             f"{sum(p.numel() for p in model.parameters()):,} parameters; {streams.per_epoch:,} steps per epoch")
        note(f"training on {group.world} process(es) ({group.backend if group.world > 1 else group.device.type}, "
             f"{B} streams of {T} steps, {streams.last - streams.first} on rank 0), validating every {every:,} steps")

    def validate():
        """Rank 0 scores the held-out ids as `charrnn eval --held-out` does; every rank learns the result."""
        loss = nats_per_token(model, held_out)[0] if group.main and len(held_out) >= 2 else None
        return group.broadcast(loss)

    def checkpoint(carried):
        whole = group.gather(None if carried is None else (tuple(t.cpu() for t in carried) if isinstance(carried, tuple)
                                                           else carried.cpu()))
        if not group.main:
            return
        if whole[0] is None:
            joined = None
        elif isinstance(whole[0], tuple):
            joined = tuple(torch.cat([w[i] for w in whole], dim=1) for i in range(len(whole[0])))
        else:
            joined = torch.cat(whole, dim=1)
        path = resume_file(args.out)
        temporary = f"{path}.tmp-{os.getpid()}"
        torch.save({"version": RESUME_VERSION, "meta": meta, "model": {k: v.cpu() for k, v in model.state_dict().items()},
                    "optimizer": optimizer.state_dict(), "progress": dict(progress), "carried": joined,
                    "tokens": len(ids), "fingerprint": fingerprint(ids), "batch_size": B, "seq_length": T}, temporary)
        os.replace(temporary, path)

    def save_model():
        record.update(steps=progress["step"], seconds=round(progress["seconds"], 3))
        if progress["best"] is not None:
            record.update(val_nats_per_token=progress["best"], val_bits_per_token=progress["best"] / math.log(2),
                          best_step=progress["best_step"])
        save(model, dict(meta, training=dict(record)), args.out)

    began, seconds_before = time.time(), progress["seconds"]
    last_note, tokens_since, noted_at = began, 0, began
    outcome, last_validated = "finished", progress["step"]
    while True:
        if progress["position"] == 0:
            state = None  # a new epoch starts every stream from zero
        x, y = streams.batch_at(progress["position"])
        autocast = torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else nullcontext()
        with autocast:
            logits, new_state = net(x, state)
            loss_sum = torch.nn.functional.cross_entropy(logits.reshape(-1, V).float(), y.reshape(-1), reduction="sum")
        # DDP averages gradients over ranks: scale each rank's sum so the average is the whole batch's mean.
        loss = loss_sum * (group.world / (B * T))
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        elapsed = seconds_before + time.time() - began
        over_time = args.max_time is not None and time.time() - began >= args.max_time
        total, stop_votes = group.sum([loss_sum.item(), 1.0 if group.main and over_time else 0.0])
        batch_loss = total / (B * T)
        if not math.isfinite(batch_loss):
            outcome = f"diverged at step {progress['step'] + 1}"
            break
        for param_group in optimizer.param_groups:
            param_group["lr"] = args.lr * progress["rate_scale"]
        if args.clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        scaler.step(optimizer)
        scaler.update()
        state = tuple(s.detach() for s in new_state) if isinstance(new_state, tuple) else new_state.detach()
        progress["step"] += 1
        progress["position"] += 1
        if progress["position"] == streams.per_epoch:
            progress["position"], progress["epoch"] = 0, progress["epoch"] + 1
        progress["seconds"] = seconds_before + time.time() - began
        tokens_since += B * T
        if log:
            log.write(json.dumps({"step": progress["step"], "loss": batch_loss, "lr": args.lr * progress["rate_scale"],
                                  "seconds": progress["seconds"]}) + "\n")

        stop = None
        if stop_votes > 0:
            stop = "time limit"
        elif args.steps is not None and progress["step"] >= args.steps:
            stop = "step limit"
        elif args.epochs is not None and progress["epoch"] >= args.epochs:
            stop = "epoch limit"
        if progress["step"] % every == 0 or stop:
            last_validated = progress["step"]
            val = validate()
            if val is not None:
                best = progress["best"]
                improved = best is None or val < best
                better = best is None or val < best * (1 - args.min_improvement)
                if improved:
                    progress["best"], progress["best_step"] = val, progress["step"]
                progress["stalled"] = 0 if better else progress["stalled"] + 1
                if not better:
                    progress["rate_scale"] *= args.lr_plateau
                if group.main:
                    if improved:
                        save_model()
                    note(f"step {progress['step']:,}: validation {val:.4f} nats/token ({val / math.log(2):.4f} bits)"
                         f"{'' if improved else ', no improvement'}")
                    if log:
                        log.write(json.dumps({"step": progress["step"], "validation": val}) + "\n")
                if args.patience and progress["stalled"] >= args.patience and not stop:
                    stop = "early stop"
            elif group.main:
                save_model()  # nothing held out: the latest is the best
            checkpoint(state)
            tokens_since, noted_at = 0, time.time()  # the rate counts training only
        if group.main and time.time() - last_note >= 10 and tokens_since:
            rate = tokens_since / (time.time() - noted_at)
            note(f"step {progress['step']:,}: loss {batch_loss:.4f} nats/token, {rate:,.0f} tokens/s")
            last_note, tokens_since, noted_at = time.time(), 0, time.time()
        if stop:
            outcome = stop
            break
    if log:
        log.close()
    if group.main:
        note(f"{outcome} at step {progress['step']:,} after {progress['seconds']:.0f}s; "
             + (f"wrote {args.out} (best validation {progress['best'] / math.log(2):.4f} bits/token at step "
                f"{progress['best_step']:,})" if progress["best"] is not None else
                (f"wrote {args.out}" if os.path.exists(args.out) else "no model was saved")))
    if outcome.startswith("diverged"):
        raise CharRNNError(f"the loss became NaN or infinite ({outcome}); lower --lr or --clip, and train again")
    return progress


def default_validate_every(args, per_epoch):
    """charrnn train's rule: 1/20 of a step or epoch limit (at most 1,000), else an epoch but at
    most 1,000 updates."""
    limits = [n for n in (args.steps, args.epochs and args.epochs * per_epoch) if n]
    if limits:
        return max(1, min(1000, min(limits) // 20))
    return max(1, min(1000, per_epoch))


def training_record(args, group, meta):
    """The model's `training` record: charrnn's keys for the settings, and how it was trained."""
    record = {"trainer": "charrnn_torch", "processes": group.world, "device": group.device.type,
              "seed": args.rng_seed, "batch_size": args.batch_size, "seq_length": args.seq_length, "optimizer": "adam",
              "lr": args.lr, "clip": args.clip, "patience": args.patience, "corpus": args.corpus}
    if args.lr_plateau != 1:
        record["lr_plateau"] = args.lr_plateau
    if args.dropout > 0:
        record["dropout"] = args.dropout
    if args.amp != "off":
        record["amp"] = args.amp
    if args.init_from:
        record["init_from"] = args.init_from
    return record


def note(text):
    print(f"charrnn_torch: {text}", file=sys.stderr, flush=True)


def main(argv=None):
    args = parse_arguments(argv)
    group = None
    try:
        group = Group(args)
        train(args, group)
    except CharRNNError as error:
        if group is None or group.main:
            print(f"charrnn_torch.train: {error}", file=sys.stderr)
        return 1
    finally:
        if group is not None:
            group.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
