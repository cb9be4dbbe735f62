#!/usr/bin/env python3
"""Character bigram baseline: the held-out score a shipped charrnn model has to beat.

Usage:
    python3 Models/bigram_baseline.py TRAIN.txt HELDOUT.txt [--json]
    python3 Models/bigram_baseline.py --held-out 0.05 CORPUS.txt [--json]

The second form splits one corpus as `charrnn train --val-fraction 0.05` does (see
held_out_start) and scores the held-out part, which is what `charrnn eval --held-out 0.05`
scores, so the two numbers compare the same text.

The model is an interpolated bigram over characters,

    P(c | prev) = lam * P_ML(c | prev) + (1 - lam) * P_uni(c)

where P_ML(c | prev) = count(prev c) / count(prev followed by anything) on the training text, and
P_uni is the unigram distribution with add-one smoothing over the training alphabet plus one
slot for "unknown", so a character never seen in training still gets a small, nonzero
probability: P_uni(c) = (count(c) + 1) / (N + V + 1), with N training characters and V distinct
ones; every unseen character gets the unknown slot's 1 / (N + V + 1). A context never seen in
training (an unknown character, or one seen only as the very last character) has no P_ML, so
it predicts with P_uni alone.

lam is chosen on the training text alone: counts are taken from its first 90%, every lam in
0.05, 0.10, ..., 0.95 scores the last 10%, and a golden-section search then narrows the best
grid interval (the bits are a convex function of lam, so the search finds its minimum; on a
large English text it lies above 0.95). The counts are then taken again from all of the
training text and the held-out text is scored.

Scoring follows `charrnn eval --text`: the held-out file is one stream of N characters;
characters 1 ... N-1 are scored, each given the one before it, and the first character is only
context. The score is the mean of -log2 P over those N-1 characters (bits per character). The
unigram-only score (lam = 0) is printed too, for reference.

Characters are Unicode code points after NFC (unicodedata.normalize), read from UTF-8 with line
endings kept as they are. charrnn's letters are grapheme clusters; for the corpora here
(Chinese poems and ASCII English) every grapheme is one code point, so the two counts agree.
Where they would not (combining marks, CR LF pairs, emoji sequences), a warning goes to stderr.

Standard library only. Counting a 10 MB text takes a few seconds.
"""

import argparse
import json
import math
import sys
import unicodedata
from collections import Counter

LAMBDA_GRID = [round(0.05 * k, 2) for k in range(1, 20)]  # 0.05 ... 0.95
TUNING_FRACTION = 0.10  # the end of TRAIN held back from counting to choose lambda
LAMBDA_MAX = 0.999  # lambda = 1 would give an unseen pair probability 0
GOLDEN_TOLERANCE = 1e-4  # the golden-section search stops when its interval is this narrow


def read_characters(path):
    """The file's text as one NFC string (a sequence of code points), line endings untouched."""
    with open(path, encoding="utf-8", newline="") as handle:
        return unicodedata.normalize("NFC", handle.read())


def grapheme_warning(text, path):
    """A note for stderr if some grapheme clusters of `text` span more than one code point."""
    multi = text.count("\r\n")
    multi += sum(1 for c in set(text) if unicodedata.category(c).startswith("M")
                 or c in "\u200d\ufe0e\ufe0f" or "\U0001f1e6" <= c <= "\U0001f1ff")
    if multi:
        return (f"warning: {path} has combining marks, joiners or CR LF pairs: its grapheme "
                f"clusters are not all single code points, so its count differs from charrnn's")
    return None


class BigramModel:
    """Counts of one text, and the interpolated probabilities they give."""

    def __init__(self, text):
        self.unigrams = Counter(text)
        # pairs[prev][c] = how often c follows prev; contexts[prev] = how often prev is followed.
        self.pairs = {}
        for (prev, c), n in Counter(zip(text, text[1:])).items():
            self.pairs.setdefault(prev, {})[c] = n
        self.contexts = {prev: sum(row.values()) for prev, row in self.pairs.items()}
        self.total = len(text)
        self.unigram_denominator = self.total + len(self.unigrams) + 1  # + 1: the unknown slot

    def unigram(self, c):
        return (self.unigrams.get(c, 0) + 1) / self.unigram_denominator

    def component_counts(self, stream, start):
        """How often each (P_ML, P_uni) pair occurs over positions start ... len(stream)-1.

        P_ML is None where the context was never followed by anything in training. Scoring
        any lambda is then a sum over the distinct pairs, not over every character.
        """
        components = Counter()
        for i in range(max(start, 1), len(stream)):
            prev, c = stream[i - 1], stream[i]
            row = self.pairs.get(prev)
            ml = row.get(c, 0) / self.contexts[prev] if row is not None else None
            components[(ml, self.unigram(c))] += 1
        return components


def bits(components, lam):
    """Total -log2 P of the positions summarised by `components`, under weight `lam`."""
    total = 0.0
    for (ml, uni), n in components.items():
        p = uni if ml is None else lam * ml + (1 - lam) * uni
        total -= n * math.log2(p)
    return total


def golden_section_minimum(f, low, high, tolerance):
    """The x in [low, high] that minimises a unimodal f, to within `tolerance`."""
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tolerance:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = f(d)
    return (a + b) / 2


def choose_lambda(train):
    """The lambda that scores the last 10% of `train` best when counting the first 90%."""
    split = int(len(train) * (1 - TUNING_FRACTION))
    if split < 2 or len(train) - split < 1:
        raise SystemExit("error: the training text is too short to hold back 10% for choosing lambda")
    # The tuning part continues the stream: its first character is predicted from the last
    # counted one, which is context only.
    components = BigramModel(train[:split]).component_counts(train, split)
    def score(lam):
        return bits(components, lam)
    best = min(LAMBDA_GRID, key=score)
    refined = golden_section_minimum(score, max(best - 0.05, 0.0), min(best + 0.05, LAMBDA_MAX),
                                     GOLDEN_TOLERANCE)
    return round(refined, 4) if score(round(refined, 4)) <= score(best) else best


def held_out_start(text, fraction):
    """Where charrnn's validation split starts (Training/Validation.swift, validationStart): the
    last `fraction` of the letters, from the first paragraph (a letter after two newlines) at or
    after the cut, else the first line start, else the cut itself."""
    n = len(text)
    cut = min(n, max(1, int((1 - fraction) * n)))
    line_start = None
    for i in range(max(cut, 2), n):
        if text[i - 1] == "\n":
            if text[i - 2] == "\n":
                return i
            if line_start is None:
                line_start = i
    return line_start if line_start is not None else cut


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", metavar="TRAIN.txt", help="text to count (UTF-8), or the corpus with --held-out")
    parser.add_argument("heldout", metavar="HELDOUT.txt", nargs="?", help="text to score (UTF-8)")
    parser.add_argument("--held-out", type=float, metavar="FRACTION",
                        help="split TRAIN.txt as charrnn train --val-fraction FRACTION does and score its held-out part")
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object {"bits_per_char", "lambda", "chars", ...}')
    args = parser.parse_args()

    if args.held_out is not None:
        if args.heldout is not None:
            raise SystemExit("error: give either TRAIN.txt HELDOUT.txt, or --held-out FRACTION CORPUS.txt")
        corpus = read_characters(args.train)
        start = held_out_start(corpus, args.held_out)
        train, heldout = corpus[:start], corpus[start:]
        args.heldout = f"{args.train} (held-out part)"
    elif args.heldout is None:
        raise SystemExit("error: give HELDOUT.txt, or --held-out FRACTION")
    else:
        train = read_characters(args.train)
        heldout = read_characters(args.heldout)
    for text, path in ((train, args.train), (heldout, args.heldout)):
        note = grapheme_warning(text, path)
        if note:
            print(note, file=sys.stderr)
    if len(heldout) < 2:
        raise SystemExit("error: the held-out text needs at least two characters (one is only context)")

    lam = choose_lambda(train)
    model = BigramModel(train)
    components = model.component_counts(heldout, 1)
    scored = len(heldout) - 1
    bigram_bits = bits(components, lam) / scored
    unigram_bits = bits(components, 0.0) / scored
    unknown = sum(1 for c in heldout[1:] if c not in model.unigrams)

    if args.json:
        print(json.dumps({"bits_per_char": bigram_bits, "lambda": lam, "chars": scored,
                          "unigram_bits_per_char": unigram_bits, "train_chars": len(train),
                          "alphabet": len(model.unigrams), "unknown_chars": unknown}))
    else:
        print(f"bigram {bigram_bits:.4f} bits/char (lambda {lam:.4g}), unigram {unigram_bits:.4f} "
              f"bits/char, over {scored:,} held-out chars ({unknown:,} unseen in training)")


if __name__ == "__main__":
    main()
