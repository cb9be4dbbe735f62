#!/usr/bin/env bash
# Rebuild Corpora/kjv.txt (King James Bible) from Debian's bible-kjv.
#
#   sudo apt-get install bible-kjv     # pulls in bible-kjv-text (the data)
#   bash Corpora/build-kjv.sh
#
# Output: the whole KJV, Genesis 1:1 to Revelation 22:21, one verse per
# line, one chapter per paragraph (chapters separated by one blank line),
# without book names, chapter headings or verse numbers. Plain ASCII,
# no trailing whitespace, single final newline. Deterministic.
set -euo pipefail

PKGS="bible-kjv bible-kjv-text"
EXPECTED_VERSION=4.38   # the version documented in Corpora/README.md

for pkg in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        echo "error: Debian package '$pkg' is not installed." >&2
        echo "       Install it with: sudo apt-get install bible-kjv" >&2
        exit 1
    fi
done
version=$(dpkg-query -W -f='${Version}' bible-kjv-text)
if [ "$version" != "$EXPECTED_VERSION" ]; then
    echo "warning: bible-kjv-text $version installed, README documents $EXPECTED_VERSION;" \
         "output may differ from the committed file." >&2
fi
command -v bible >/dev/null || { echo "error: 'bible' not found on PATH (sudo apt-get install bible-kjv)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is required (sudo apt-get install python3)" >&2; exit 1; }

OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kjv.txt
RAW=$(mktemp)
trap 'rm -f "$RAW" "$OUT.tmp"' EXIT

# -f turns pretty-printing off: one line per verse, "Ge1:1 In the beginning ...",
# never wrapped. stdin from /dev/null so bible cannot go interactive.
LC_ALL=C bible -f Gen1:1-Rev22:21 </dev/null >"$RAW"

python3 - "$RAW" "$OUT" <<'PY'
import os, re, sys

raw, dst = sys.argv[1], sys.argv[2]
VERSE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")

def die(msg):
    sys.exit("error: " + msg)

text = open(raw, "rb").read().decode("ascii")      # the KJV data is pure ASCII
lines = text.split("\n")
if lines[-1] == "":
    lines.pop()

chapters = []            # list of lists of verse texts
prev = None              # (book, chapter, verse)
books = []
for n, line in enumerate(lines, 1):
    m = VERSE.match(line)
    if not m:
        die(f"line {n} of the bible dump is not 'BookC:V text': {line[:80]!r}")
    book, ch, vs, body = m[1], int(m[2]), int(m[3]), m[4]
    if prev is None or book != prev[0]:
        if book in books:
            die(f"line {n}: book {book} appears twice")
        books.append(book)
        if (ch, vs) != (1, 1):
            die(f"line {n}: book {book} does not start at 1:1")
        chapters.append([])
    elif ch != prev[1]:
        if (ch, vs) != (prev[1] + 1, 1):
            die(f"line {n}: chapter break {prev} -> {book}{ch}:{vs} is not consecutive")
        chapters.append([])
    elif vs != prev[2] + 1:
        die(f"line {n}: verse {book}{ch}:{vs} does not follow {prev}")
    prev = (book, ch, vs)
    # The source has one verse with a trailing space (Mark 10:19) and two with
    # a double space (Joshua 7:2, Revelation 19:3): collapse/strip spaces.
    body = " ".join(body.split())
    if not body:
        die(f"line {n}: empty verse {book}{ch}:{vs}")
    chapters[-1].append(body)

nverses = sum(len(c) for c in chapters)
if (len(books), len(chapters), nverses) != (66, 1189, 31102):
    die(f"expected 66 books, 1189 chapters, 31102 verses; got "
        f"{len(books)}, {len(chapters)}, {nverses}")

out = "\n\n".join("\n".join(c) for c in chapters) + "\n"
assert out.isascii() and "\t" not in out and "\r" not in out
assert "\n\n\n" not in out and not out.endswith("\n\n")
assert all(l == l.strip() for l in out.split("\n"))
data = out.encode("ascii")
if len(data) >= 5_000_000:
    die(f"kjv.txt would be {len(data)} bytes, over the 5 MB limit")
with open(dst + ".tmp", "wb") as f:
    f.write(data)
os.replace(dst + ".tmp", dst)
print(f"{os.path.basename(dst)}: {len(books)} books, {len(chapters)} chapters, "
      f"{nverses} verses, {out.count(chr(10))} lines, {len(out)} characters, {len(data)} bytes")
PY
