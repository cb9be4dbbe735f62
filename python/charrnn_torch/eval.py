"""python -m charrnn_torch.eval MODEL TEXT [--held-out F] [--max-tokens N] [--format json]

Scores a charrnn language model on a text in PyTorch, as `charrnn eval --model MODEL --text TEXT`
does: the text cut by charrnn itself (`charrnn encode --vocab-from MODEL`), one stream from a
zero state, tokens 0 … N−2 fed and 1 … N−1 scored; --held-out F scores only what `train
--val-fraction F` holds out. Prints the same line, or with --format json the same document.
"""

import argparse
import json
import sys

from .data import encode
from .model import CharRNNError, load, nats_per_token, perplexity_report


def evaluate(model_path, text_path, held_out=None, max_tokens=None, charrnn=None, lossy=False, device="cpu"):
    """The score of `charrnn eval`: a dict with tokens, nats_per_token, bits_per_token, perplexity,
    and the EncodedText it was computed on."""
    if held_out is not None and not 0 < held_out < 1:
        raise CharRNNError("--held-out must be in (0, 1)")
    if max_tokens is not None and max_tokens < 2:
        raise CharRNNError("--max-tokens must be at least 2")
    model, meta = load(model_path, device=device)
    if meta["task"] != "language-model":
        raise CharRNNError(f"{model_path}: a {meta['task']} model; eval needs a language model")
    text = encode(text_path, charrnn=charrnn, vocab_from=model_path, lossy=lossy)
    ids = text.ids
    if held_out is not None:
        ids = ids[text.validation_start(held_out):]
    if max_tokens is not None:
        ids = ids[:max_tokens]
    if len(ids) < 2:
        raise CharRNNError(f"{text_path}: needs at least two letters to score one")
    nats, count = nats_per_token(model, ids)
    if nats != nats or nats in (float("inf"), float("-inf")):
        raise CharRNNError(f"the model's mean loss is {nats}: its scores overflow float32")
    return perplexity_report(nats, count), text


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m charrnn_torch.eval", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the model (.safetensors)")
    parser.add_argument("text", help="the UTF-8 text to score")
    parser.add_argument("--held-out", type=float, help="score only what train --val-fraction F holds out")
    parser.add_argument("--max-tokens", type=int, help="score only the first N tokens (after --held-out)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output: text or json")
    parser.add_argument("--lossy", action="store_true", help="replace invalid UTF-8 with U+FFFD instead of stopping")
    parser.add_argument("--charrnn", help="the charrnn binary (default: $CHARRNN, or charrnn on PATH)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    args = parser.parse_args(argv)
    try:
        score, text = evaluate(args.model, args.text, args.held_out, args.max_tokens, args.charrnn, args.lossy,
                               args.device)
    except CharRNNError as error:
        print(f"charrnn_torch.eval: {error}", file=sys.stderr)
        return 1
    if text.unknown:
        count = sum(entry["count"] for entry in text.unknown)
        print(f"charrnn_torch.eval: {args.text}: {count:,} letter(s) outside the vocabulary scored as the unknown token",
              file=sys.stderr)
    if args.format == "json":
        print(json.dumps(score, indent=2, sort_keys=True, separators=(",", " : ")))
    else:
        print(f"{args.text}: {score['tokens']:,} tokens scored, {score['nats_per_token']:.4f} nats/token, "
              f"{score['bits_per_token']:.4f} bits/token, perplexity {score['perplexity']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
