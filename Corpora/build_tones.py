#!/usr/bin/env python3
"""Build Sources/Verse/ToneTable.swift: each Han character's tone class and rhyme groups,
read from Unihan_Readings.txt (Debian's unicode-data package).

    sudo apt-get install unicode-data
    python3 Corpora/build_tones.py [path/to/Unihan_Readings.txt.bz2]

What the table holds (the rules are those of Sources/Verse/VerseRules.swift, issue 15):
- entering (入声): some kCantonese reading, tone digit removed, ends in p, t or k;
- Mandarin level: some kMandarin reading has tone 1 or 2; Mandarin oblique: tone 3 or 4;
- rhyme groups: the groups of 中华新韵 (14) of the Mandarin final of each kMandarin reading.
The Swift side combines the three tone bits into level / oblique / either, so the table also
serves the measurement without the entering-tone rule.

Output: a Swift source with one string literal. Each line of it is a key (four hex digits:
bits 0-13 the rhyme groups in the order of RhymeGroup, bit 14 Mandarin level, bit 15 Mandarin
oblique; a fifth hex digit 1 when entering) followed by every character that has that key.
Characters with neither reading are left out (the Swift side reads them as "either", no group).
Deterministic: the same Unihan file gives a byte-identical output. Standard library only.
"""
import bz2
import os
import sys
import unicodedata

GROUPS = ["麻", "波", "皆", "开", "微", "豪", "尤", "寒", "文", "唐", "庚", "齐", "支", "姑"]

# Finals (after the y/w/j/q/x spellings are resolved) to their group.
FINALS = {
    "a": "麻", "ia": "麻", "ua": "麻",
    "o": "波", "e": "波", "uo": "波", "io": "波",
    "ie": "皆", "üe": "皆", "ê": "皆",
    "ai": "开", "uai": "开",
    "ei": "微", "ui": "微",
    "ao": "豪", "iao": "豪",
    "ou": "尤", "iu": "尤",
    "an": "寒", "ian": "寒", "uan": "寒", "üan": "寒",
    "en": "文", "in": "文", "un": "文", "ün": "文",
    "ang": "唐", "iang": "唐", "uang": "唐",
    "eng": "庚", "ing": "庚", "ong": "庚", "iong": "庚", "ueng": "庚",
    "i": "齐", "ü": "齐", "er": "齐",
    "-i": "支",
    "u": "姑",
}
INITIALS = ["zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
            "j", "q", "x", "r", "z", "c", "s"]
TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030C": 3, "\u0300": 4}


def syllable(reading):
    """A pinyin syllable with tone marks -> (toneless syllable, tone 1-4 or 5 for none)."""
    tone = 5
    kept = []
    for ch in unicodedata.normalize("NFD", reading.lower()):
        if ch in TONE_MARKS:
            tone = TONE_MARKS[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def final(toneless):
    """The final of a toneless pinyin syllable, spellings resolved, or None (m, n, ng, hm ...)."""
    s = toneless.replace("v", "ü")
    if s in ("er", "r"):
        return "er"
    initial = ""
    for i in INITIALS:
        if s.startswith(i) and len(s) > len(i):
            initial = i
            break
    rest = s[len(initial):]
    if initial == "" and s.startswith("y"):
        rest = s[1:]
        if rest.startswith("u"):
            rest = "ü" + rest[1:]          # yu yue yuan yun
        elif rest.startswith("i"):
            pass                            # yi yin ying
        else:
            rest = "i" + rest              # ya yao ye you yan yang yong yo
        rest = {"iou": "iu"}.get(rest, rest)
    elif initial == "" and s.startswith("w"):
        rest = s[1:]
        if not rest.startswith("u"):
            rest = "u" + rest              # wa wo wai wei wan wen wang weng
        rest = {"uei": "ui", "uen": "un", "uong": "ueng"}.get(rest, rest)
    elif initial in ("j", "q", "x") and rest.startswith("u"):
        rest = "ü" + rest[1:]
    if initial in ("zh", "ch", "sh", "r", "z", "c", "s") and rest == "i":
        return "-i"
    return rest if rest in FINALS else None


def entering(cantonese):
    return any(r.rstrip("0123456789").endswith(("p", "t", "k")) for r in cantonese.split())


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode/Unihan_Readings.txt.bz2"
    if not os.path.exists(source):
        sys.exit(f"error: {source} not found; install it with: sudo apt-get install unicode-data")
    opener = bz2.open if source.endswith(".bz2") else open
    mandarin, cantonese, version = {}, {}, "?"
    with opener(source, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("# Unicode version:"):
                version = line.split(":", 1)[1].strip()
            if line.startswith("#") or not line.strip():
                continue
            code, field, value = line.rstrip("\n").split("\t", 2)
            cp = int(code[2:], 16)
            if field == "kMandarin":
                mandarin[cp] = value
            elif field == "kCantonese":
                cantonese[cp] = value

    unknown_finals = set()
    keys = {}
    for cp in sorted(set(mandarin) | set(cantonese)):
        groups, level, oblique = 0, False, False
        for reading in mandarin.get(cp, "").split():
            toneless, tone = syllable(reading)
            level |= tone in (1, 2)
            oblique |= tone in (3, 4)
            f = final(toneless)
            if f is None:
                unknown_finals.add(toneless)
            else:
                groups |= 1 << GROUPS.index(FINALS[f])
        key = groups | (level << 14) | (oblique << 15) | (entering(cantonese.get(cp, "")) << 16)
        keys.setdefault(key, []).append(chr(cp))

    lines = [f"{key:05x}" + "".join(chars) for key, chars in sorted(keys.items())]
    count = sum(len(c) for c in keys.values())
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Verse", "ToneTable.swift")
    text = (
        "// Generated by Corpora/build_tones.py from Unihan_Readings.txt (Unicode " + version + ",\n"
        "// Debian's unicode-data; Unicode licence, see Corpora/README.md). Do not edit: rebuild.\n"
        f"// {count} characters in {len(lines)} classes. Each line: a key (five hex digits: bits 0-13\n"
        "// rhyme groups, bit 14 a Mandarin level reading, bit 15 a Mandarin oblique one, bit 16\n"
        "// entering), then the characters that have it.\n\n"
        "let toneTableSource = #\"\"\"\n" + "\n".join(lines) + "\n\"\"\"#\n"
    )
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{os.path.normpath(out)}: {count} characters, {len(lines)} classes, {len(text.encode())} bytes")
    if unknown_finals:
        print("syllables without a rhyme group: " + " ".join(sorted(unknown_finals)))


if __name__ == "__main__":
    main()
