"""Held-out accuracy and macro-F1 of names classifiers, per language and per script.

    python3 Models/names_breakdown.py SPLIT.json MODEL.safetensors [MODEL ...] [--charrnn PATH]

SPLIT.json is what `charrnn train-classifier --save-split` writes (the held-out names, normalized
and lowercased, with every category that lists them). Each model classifies the held-out names
with `charrnn classify --format json`; a prediction is right when it is one of the name's
categories, and macro-F1 is the mean F1 over the categories present, with the confusion rule of
`ClassificationReport` (Sources/Classification): a wrong answer counts against the name's first
category. So the "all" row is what `charrnn eval --data ... --held-out` prints. The "Latin" rows
score the held-out names whose letters are all Latin, the "native" rows those with a letter of
another script (Arabic, Han, kana, Hangul, Cyrillic, Greek), each as its own set (macro-F1 over
the categories present in it). Standard-library Python; prints Markdown tables.
"""
import argparse
import json
import subprocess
import unicodedata


def is_latin(name):
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN ") for ch in name)


def report(pairs, categories):
    """pairs: (predicted, [categories]); returns accuracy, macro-F1, per-category (P, R, F1, n)."""
    index = {c: i for i, c in enumerate(categories)}
    n = len(categories)
    confusion = [[0] * n for _ in range(n)]
    right = 0
    for predicted, truth in pairs:
        actual = predicted if predicted in truth else truth[0]
        confusion[index[actual]][index[predicted]] += 1
        right += actual == predicted
    per = {}
    f1s = []
    for i, c in enumerate(categories):
        support = sum(confusion[i])
        column = sum(confusion[k][i] for k in range(n))
        p = confusion[i][i] / column if column else 0.0
        r = confusion[i][i] / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[c] = (p, r, f, support)
        if support:
            f1s.append(f)
    return right / len(pairs), sum(f1s) / len(f1s), per


def classify(binary, model, names):
    out = []
    for start in range(0, len(names), 2000):
        chunk = names[start:start + 2000]
        run = subprocess.run([binary, "classify", "--model", model, "--format", "json", "--top", "1", "--"] + chunk,
                             capture_output=True, text=True, check=True)
        out += [item["predictions"][0]["category"] for item in json.loads(run.stdout)]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("split")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--charrnn", default=".build/release/charrnn")
    args = parser.parse_args()
    split = json.load(open(args.split, encoding="utf-8"))
    categories = split["categories"]
    held = split["held_out"]
    names = [it["name"] for it in held]
    truths = [it["categories"] for it in held]
    latin = [is_latin(nm) for nm in names]
    results = {m: classify(args.charrnn, m, names) for m in args.models}
    print("| model | set | names | accuracy | macro-F1 |")
    print("|---|---|---:|---:|---:|")
    per_all = {}
    for m, predicted in results.items():
        for label, keep in (("all", lambda i: True), ("Latin", lambda i: latin[i]), ("native", lambda i: not latin[i])):
            idx = [i for i in range(len(names)) if keep(i)]
            acc, f1, per = report([(predicted[i], truths[i]) for i in idx], categories)
            if label == "all":
                per_all[m] = per
            print(f"| `{m}` | {label} | {len(idx):,} | {acc:.3f} | {f1:.3f} |")
    print()
    print("| language | held-out names | " + " | ".join(f"F1 `{m.rsplit('/', 1)[-1]}`" for m in args.models) + " |")
    print("|---|---:|" + "---:|" * len(args.models))
    for c in categories:
        support = per_all[args.models[0]][c][3]
        print(f"| {c} | {support} | " + " | ".join(f"{per_all[m][c][2]:.3f}" for m in args.models) + " |")


if __name__ == "__main__":
    main()
