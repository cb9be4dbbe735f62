#!/usr/bin/env bash
# Rebuild Corpora/tang300.txt and Corpora/song100.txt from Debian's fortunes-zh.
#
#   sudo apt-get install fortunes-zh
#   bash Corpora/build-poems.sh
#
# Output: poem bodies only (titles, authors, prefaces and part markers
# such as 其一 dropped), one source line per line, poems separated by one
# blank line, NFC UTF-8, no trailing whitespace, single final newline.
# Deterministic: the same package version gives byte-identical files.
set -euo pipefail

PKG=fortunes-zh
EXPECTED_VERSION=2.98   # the version documented in Corpora/README.md

if ! dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'install ok installed'; then
    echo "error: Debian package '$PKG' is not installed." >&2
    echo "       Install it with: sudo apt-get install $PKG" >&2
    exit 1
fi
version=$(dpkg-query -W -f='${Version}' "$PKG")
if [ "$version" != "$EXPECTED_VERSION" ]; then
    echo "warning: $PKG $version installed, README documents $EXPECTED_VERSION;" \
         "output may differ from the committed files." >&2
fi
command -v python3 >/dev/null || { echo "error: python3 is required (sudo apt-get install python3)" >&2; exit 1; }

# Find the source files through the package's file list, not a fixed path.
find_src() {
    local f
    f=$(dpkg -L "$PKG" | grep -E "/$1\$" | head -n 1 || true)
    if [ -z "$f" ] || [ ! -f "$f" ]; then
        echo "error: $PKG does not ship a file named '$1' (dpkg -L $PKG)" >&2
        exit 1
    fi
    printf '%s\n' "$f"
}
TANG=$(find_src tang300)
SONG=$(find_src song100)
OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

python3 - "$TANG" "$OUT/tang300.txt" "$SONG" "$OUT/song100.txt" <<'PY'
import os, re, sys, unicodedata

ESC = "\x1b"
SEP = re.compile(r"^%[ \t]*$")                   # fortune separator (song100 has one '%    ')
TITLE = re.compile(r"^\x1b\[32m(?:题目:)?《.*\x1b\[m$")
AUTHOR = re.compile(r"^\x1b\[33m作者[:：].*\x1b\[m$")
PART = re.compile(r"^\s*其[一二三四五六七八九十]+\s*$")  # '            其一' sub-headings

def die(msg):
    sys.exit("error: " + msg)

def records(text):
    rec = []
    for line in text.split("\n"):
        if SEP.match(line):
            yield rec
            rec = []
        else:
            rec.append(line)
    yield rec

def paragraphs(lines):
    """Split on blank (or whitespace-only) lines."""
    para = []
    for line in lines:
        if line.strip():
            para.append(line)
        elif para:
            yield para
            para = []
    if para:
        yield para

def clean_line(line, where):
    line = unicodedata.normalize("NFC", line).strip()
    if ESC in line:
        die(f"{where}: escape sequence left in poem text: {line!r}")
    return line

def build(src, dst, kind):
    text = open(src, encoding="utf-8").read().replace("\r\n", "\n")
    poems = []
    for n, rec in enumerate(records(text), 1):
        if not any(l.strip() for l in rec):
            continue                                # empty tail after the last '%'
        where = f"{os.path.basename(src)} record {n}"
        if len(rec) < 3 or not TITLE.match(rec[0]) or not AUTHOR.match(rec[1]):
            die(f"{where}: expected a green title line and a yellow author line, got {rec[:2]!r}")
        title, body = rec[0], rec[2:]
        paras = [[l for l in p if not PART.match(l)] for p in paragraphs(body)]
        paras = [p for p in paras if p]
        if kind == "tang":
            # Six tang300 entries ('…・并序') carry a prose preface, set off
            # from the poem by one blank line: keep only the poem after it.
            has_preface = "并序" in title
            if len(paras) != (2 if has_preface else 1):
                die(f"{where}: expected {'preface + poem' if has_preface else 'one poem'}, "
                    f"found {len(paras)} blank-line separated blocks")
            paras = paras[-1:]
        # song100: a blank line separates the parts of a multi-poem entry
        # ('二首' with 其一/其二, or two quatrains under one title); each
        # part becomes its own poem.
        for p in paras:
            lines = [clean_line(l, where) for l in p]
            for l in lines:
                if l.startswith("%") or l[0] in "《（(":
                    die(f"{where}: unexpected line in poem body: {l!r}")
            poems.append(lines)
    out = "\n\n".join("\n".join(p) for p in poems) + "\n"
    # Self-checks on the finished corpus.
    assert unicodedata.is_normalized("NFC", out)
    assert ESC not in out and "\r" not in out and "\t" not in out
    assert "\n\n\n" not in out and out.endswith("\n") and not out.endswith("\n\n")
    assert all(l == l.rstrip() for l in out.split("\n"))
    data = out.encode("utf-8")
    assert len(data) < 5_000_000
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)
    print(f"{os.path.basename(dst)}: {len(poems)} poems, {out.count(chr(10))} lines, "
          f"{len(out)} characters, {len(data)} bytes")

build(sys.argv[1], sys.argv[2], "tang")
build(sys.argv[3], sys.argv[4], "song")
PY
