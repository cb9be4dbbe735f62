#!/usr/bin/env bash
# Regenerates the seed corpora in seeds/ (committed; run this only to change them):
#   seeds/model   tiny models of each task and cell (2 hidden units, a few letters), 1-2 KB each
#   seeds/resume  their resume files, 3-5 KB each
#   seeds/text    short excerpts of the corpora and a few hand-made edge cases
# Usage: Fuzz/make-seeds.sh [path/to/charrnn]   (default: builds it in release)
set -euo pipefail
cd "$(dirname "$0")/.."
charrnn=${1:-}
if [ -z "$charrnn" ]; then
    nice -n 10 swift build -c release --product charrnn
    charrnn=.build/release/charrnn
fi
charrnn=$(realpath "$charrnn")
seeds=$(realpath Fuzz/seeds)
work=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$seeds/model" "$seeds/resume" "$seeds/text"
mkdir -p "$seeds/model" "$seeds/resume" "$seeds/text"

# Models: --min-count keeps the vocabulary to a few letters (the rest are the unknown token).
head -n 60 Corpora/tang300.txt > "$work/tang.txt"
mkdir "$work/names"
for category in Irish Chinese Greek; do head -n 15 "Corpora/names/$category.txt" > "$work/names/$category.txt"; done
tiny=(--hidden 2 --steps 2 --batch-size 2)
(
    cd "$work"
    for cell in rnn lstm gru; do
        "$charrnn" train --corpus tang.txt --out "lm-$cell.safetensors" --cell "$cell" "${tiny[@]}" --seq-length 4 --min-count 8
    done
    "$charrnn" train --corpus tang.txt --out lm-lstm-2layers.safetensors --cell lstm --layers 2 "${tiny[@]}" \
        --seq-length 4 --min-count 12
    "$charrnn" train-classifier --data names --out classifier.safetensors "${tiny[@]}" --min-count 6 --val-fraction 0.2
    "$charrnn" train-generator --data names --out generator.safetensors "${tiny[@]}" --min-count 6 --val-fraction 0.2
) >/dev/null 2>&1
for model in "$work"/*.safetensors; do
    case "$model" in
        *.resume.safetensors) cp "$model" "$seeds/resume/$(basename "$model" .safetensors.resume.safetensors).resume" ;;
        *) cp "$model" "$seeds/model/$(basename "$model" .safetensors)" ;;
    esac
done

# Texts: excerpts cut at line ends, and edge cases.
head -n 12 Corpora/tang300.txt > "$seeds/text/tang"
head -n 4 Corpora/kjv.txt > "$seeds/text/kjv"
head -n 12 Corpora/song100.txt > "$seeds/text/song"
for category in Russian Vietnamese Arabic; do
    [ -f "Corpora/names/$category.txt" ] && head -n 8 "Corpora/names/$category.txt"
done > "$seeds/text/names"
printf '\xef\xbb\xbfa BOM, then CRLF lines\r\nsecond\r\n' > "$seeds/text/bom-crlf"
printf 'e\xcc\x81 (e + combining acute), \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 family, \xf0\x9f\x87\xa9\xf0\x9f\x87\xaa flag, \xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xb7 ksha, \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d, \xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 jamo\n\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5 Thai, \xc3\x9f\xc4\xb0\xce\xa3 case, \xef\xac\x81 ligature\n' > "$seeds/text/scripts"
printf 'valid line\nbad \xff byte, overlong \xc0\xaf, surrogate \xed\xa0\x80, cut \xe6\x98\nlast line, no line feed \xf0\x9f' > "$seeds/text/invalid"
ls -l "$seeds"/*
