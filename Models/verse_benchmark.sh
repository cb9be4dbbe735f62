#!/usr/bin/env bash
# Regulated verse from the shipped Tang model: 200 poems with --regulated and the same 200
# settings without it, checked with `charrnn verse` and compared (Models/README.md).
#
#   swift build -c release --product charrnn
#   bash Models/verse_benchmark.sh [OUT_DIR]
#
# The 200 settings: rng seeds 1-50, each with forms 5 and 7 and 2 and 4 lines; temperature
# 0.5, 0.6, ..., 1.0 by seed (0.5 + 0.1 × (seed mod 6)); an acrostic (藏头诗) on even seeds.
# Writes OUT_DIR/regulated.txt and OUT_DIR/free.txt (one poem per paragraph), and prints:
# the `charrnn verse` summary of each, the model's own bits per drawn token (mean over the
# poems, from --format json), the share of poems with a character three times in a row or two
# equal verses, and the drafts the regulated poems took. Exits 1 if a regulated poem fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CHARRNN:-.build/release/charrnn}
MODEL=Models/tang.safetensors
OUT=${1:-$(mktemp -d "${TMPDIR:-/tmp}/charrnn-verse.XXXXXX")}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "error: $BIN not found; run: swift build -c release --product charrnn" >&2; exit 1; }

acrostics=(春夏秋冬 江山如画 风花雪月 明月清风 白云深处)
: > "$OUT/regulated.jsonl"
: > "$OUT/free.jsonl"
for seed in $(seq 1 50); do
    temperature=$(python3 -c "print(round(0.5 + 0.1 * ($seed % 6), 1))")
    for form in 5 7; do
        for lines in 2 4; do
            args=(--model "$MODEL" --form "$form" --lines "$lines" --temperature "$temperature" --rng-seed "$seed" --format json --bits)
            if (( seed % 2 == 0 )); then
                a=${acrostics[$(( (seed / 2) % ${#acrostics[@]} ))]}
                args+=(--acrostic "${a:0:$lines}")
            fi
            "$BIN" generate "${args[@]}" --regulated | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), ensure_ascii=False))' >> "$OUT/regulated.jsonl"
            "$BIN" generate "${args[@]}" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), ensure_ascii=False))' >> "$OUT/free.jsonl"
        done
    done
done

python3 - "$OUT" <<'EOF'
import json, re, sys
out = sys.argv[1]
for kind in ("regulated", "free"):
    docs = [json.loads(l) for l in open(f"{out}/{kind}.jsonl", encoding="utf-8")]
    poems = [d["samples"][0] for d in docs]
    with open(f"{out}/{kind}.txt", "w", encoding="utf-8") as f:
        f.write("\n\n".join(poems) + "\n")
    bits = [d["bits_per_token"][0] for d in docs]
    def repeats(p):
        verses = [v for v in re.split("[，。\n]", p) if v]
        triple = re.search(r"(.)\1\1", p.replace("\n", "")) is not None
        return triple or len(set(verses)) < len(verses)
    rep = sum(repeats(p) for p in poems)
    line = f"{kind}: {len(poems)} poems, model's own bits per drawn token {sum(bits) / len(bits):.3f}, " \
           f"three in a row or equal verses: {rep} ({100 * rep / len(poems):.1f}%)"
    if kind == "regulated":
        drafts = [d["verses"][0]["drafts"] for d in docs]
        line += f", drafts: mean {sum(drafts) / len(drafts):.2f}, max {max(drafts)}, more than one: {sum(x > 1 for x in drafts)}"
    print(line)
    for form in (5, 7):
        sel = [b for b, p in zip(bits, poems) if len(re.split("[，。]", p)[0]) == form]
        print(f"  {form}-character: {len(sel)} poems, bits per drawn token {sum(sel) / len(sel):.3f}")
EOF
echo "charrnn verse $OUT/regulated.txt:"
"$BIN" verse --summary-only "$OUT/regulated.txt"
echo "charrnn verse $OUT/free.txt:"
"$BIN" verse --summary-only "$OUT/free.txt"
checked=$("$BIN" verse --summary-only --format json "$OUT/regulated.txt" | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(s["passing"], s["poems"])')
read -r passing poems <<< "$checked"
if [ "$passing" != 200 ] || [ "$poems" != 200 ]; then
    echo "FAIL: $passing of $poems regulated poems keep every rule" >&2
    exit 1
fi
echo "all 200 regulated poems keep every rule; poems in $OUT"
