"""Build Corpora/names/<Language>.txt from the name lists in PyPI `faker`.

Run by Corpora/build-names.sh inside a throwaway venv that has the pinned
faker installed; see that script and Corpora/README.md ("Names by language").

    python build_names.py EXPECTED_FAKER_VERSION OUTPUT_DIR

For every language it imports the listed faker person-provider modules
(`faker.providers.person.<locale>`) and reads the name tuples/dicts that each
locale's Provider class defines itself (attributes in NAME_ATTRS). No random
sampling is involved. Native-script locales whose source has romanized forms
contribute those too (ja_JP, zh_CN, zh_TW lists; for ru_RU and el_GR, faker's
own transliteration functions, see TRANSLITERATORS). Each output file holds one
name per line, NFC, stripped, de-duplicated and sorted by code point.
"""
import importlib
import importlib.metadata
import os
import re
import sys
import tempfile
import unicodedata

# Language (output file name, as in the PyTorch tutorial's data/names) -> faker locales.
# Scottish is missing: faker has no Scottish (or Scottish Gaelic) name list.
LANGUAGES = {
    "Arabic": ["ar_AA", "ar_DZ", "ar_PS", "ar_SA"],
    "Chinese": ["zh_CN", "zh_TW"],
    "Czech": ["cs_CZ"],
    "Dutch": ["nl_NL", "nl_BE"],
    "English": ["en_US", "en_GB"],
    "French": ["fr_FR"],
    "German": ["de_DE", "de_AT", "de_CH"],
    "Greek": ["el_GR"],
    "Irish": ["ga_IE"],
    "Italian": ["it_IT"],
    "Japanese": ["ja_JP"],
    "Korean": ["ko_KR"],
    "Polish": ["pl_PL"],
    "Portuguese": ["pt_PT", "pt_BR"],
    "Russian": ["ru_RU"],
    "Spanish": ["es_ES", "es_MX"],
    "Vietnamese": ["vi_VN"],
}

# Attributes holding lists (tuples, lists or weight dicts) of single first or
# last names. Only attributes a locale's Provider defines in its own class body
# are read, so the base provider's placeholders ("John", "Jane", "Doe") and
# lists inherited from a parent locale (ar_PS/ar_SA from ar_AA) are not
# picked up twice. Deliberately absent: prefixes/suffixes (titles),
# middle_names (Russian patronymics, Vietnamese middle names), *_pairs
# (tuples duplicating the separate lists), formats.
NAME_ATTRS = (
    "first_names", "first_names_male", "first_names_female",
    "first_names_unisex", "first_names_nonbinary",
    "last_names", "last_names_male", "last_names_female",
    "male_last_names", "unisex_last_names",                      # pl_PL
    "first_kana_names", "first_kana_names_male", "first_kana_names_female",
    "last_kana_names",                                           # ja_JP katakana
    "first_romanized_names", "first_romanized_names_male",
    "first_romanized_names_female", "last_romanized_names",      # ja_JP, zh_CN, zh_TW
)

# Sources whose romanized lists are written in capitals ("CHIA-HAO", "CHEN");
# they are title-cased ("Chia-Hao", "Chen") to match every other Latin list.
TITLE_CASE = {("zh_TW", a) for a in (
    "first_romanized_names", "first_romanized_names_male",
    "first_romanized_names_female", "last_romanized_names")}

# faker has no romanized name lists for these locales, but ships its own
# transliteration functions; their output is added next to the native names.
#   ru_RU: faker.providers.person.ru_RU.translit (faker uses it for the
#          card-holder name of ru_RU credit cards)
#   el_GR: faker.providers.internet.el_GR.latinize (faker uses it for el_GR
#          e-mail user names)
TRANSLITERATORS = {
    "ru_RU": ("faker.providers.person.ru_RU", "translit"),
    "el_GR": ("faker.providers.internet.el_GR", "latinize"),
}

# Vietnamese is written in the Latin script with many diacritics, and outside
# Vietnam its names are usually spelled without them ("Nguyen" for "Nguyễn");
# for these locales that plain form (marks removed, đ -> d) is added too.
FOLD_DIACRITICS = {"vi_VN"}


def fold_diacritics(name):
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


# latinize() writes a capital Θ, Χ or Ψ as "TH", "CH", "PS" even before a
# lower-case letter ("Χαρά" -> "CHara"); such a pair is re-cased ("Chara").
SHOUTED_DIGRAPH = re.compile(r"(?:^|(?<=[ '-]))([A-Z])([A-Z])(?=[a-z])")

MAX_TOTAL_BYTES = 2_000_000
ALLOWED_PUNCT = {" ", "-", "'"}


def die(msg):
    sys.exit("error: " + msg)


def allowed_char(ch):
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or ch in ALLOWED_PUNCT   # letters, combining marks


def clean(raw, where, dropped):
    """Return the cleaned name, or None (and record why) if it is dropped."""
    if not isinstance(raw, str):
        die(f"{where}: non-string entry {raw!r}")
    name = " ".join(unicodedata.normalize("NFC", raw).split())  # strip; one space inside
    if not name:
        dropped["empty"].append((where, raw))
        return None
    if any(ch.isdigit() for ch in name):
        dropped["digit"].append((where, raw))
        return None
    if not all(allowed_char(ch) for ch in name):
        # abbreviations ("Hans D."), inverted forms ("Bourgondië, van"),
        # parenthesised variants; anything but letters, marks, space, - and '
        dropped["punctuation"].append((where, raw))
        return None
    if any(len(word) > 1 and word.isupper() for word in name.split(" ")):
        # a word in capitals, left after TITLE_CASE: the numerals in
        # nl_NL's "VI" and de_DE's "Koch II"
        dropped["capitals"].append((where, raw))
        return None
    return name


def is_latin_letter(ch):
    return unicodedata.name(ch, "").startswith("LATIN ")


def non_latin(name):
    """True if the name has a letter outside the Latin script."""
    return any(ch.isalpha() and not is_latin_letter(ch) for ch in name)


def collect(language, locales, dropped, used, recased):
    names = set()
    for loc in locales:
        mod = importlib.import_module(f"faker.providers.person.{loc}")
        cls = mod.Provider
        native = set()
        attrs = [a for a in NAME_ATTRS if a in vars(cls)]
        if not attrs:
            die(f"{loc}: Provider defines none of the expected name lists")
        used[loc] = list(attrs)
        for attr in attrs:
            for raw in vars(cls)[attr]:          # dict: keys are the names
                if (loc, attr) in TITLE_CASE:
                    raw = raw.title()
                name = clean(raw, f"{loc}.{attr}", dropped)
                if name is not None:
                    native.add(name)
                    names.add(name)
        if loc in TRANSLITERATORS:
            modname, fn = TRANSLITERATORS[loc]
            translit = getattr(importlib.import_module(modname), fn)
            used[loc].append(f"{modname}.{fn}() applied to the above")
            for name in sorted(native):
                out = translit(name)
                fixed = SHOUTED_DIGRAPH.sub(lambda m: m[1] + m[2].lower(), out)
                if fixed != out:
                    recased[loc] = recased.get(loc, 0) + 1
                latin = clean(fixed, f"{loc}.{fn}", dropped)
                if latin is None:
                    continue
                if non_latin(latin):
                    die(f"{loc}: {fn}({name!r}) left non-Latin letters: {latin!r}")
                names.add(latin)
        if loc in FOLD_DIACRITICS:
            used[loc].append("diacritics removed from the above (build_names.fold_diacritics)")
            for name in sorted(native):
                plain = clean(fold_diacritics(name), f"{loc}.fold_diacritics", dropped)
                if plain is not None:
                    names.add(plain)
    return sorted(names)


def check_file(path, names):
    data = open(path, "rb").read()
    text = data.decode("utf-8")                       # raises if not UTF-8
    if not text.endswith("\n") or text.endswith("\n\n"):
        die(f"{path}: must end with exactly one newline")
    lines = text[:-1].split("\n")
    if lines != names:
        die(f"{path}: content differs from what was written")
    if lines != sorted(set(lines)):
        die(f"{path}: not sorted by code point or has duplicates")
    for ln in lines:
        if not ln or ln != ln.strip() or unicodedata.normalize("NFC", ln) != ln:
            die(f"{path}: bad line {ln!r}")
        if any(unicodedata.category(ch)[0] == "C" for ch in ln):
            die(f"{path}: control/format character in {ln!r}")
    return len(data)


def main():
    if len(sys.argv) != 3:
        die("usage: build_names.py EXPECTED_FAKER_VERSION OUTPUT_DIR")
    expected, outdir = sys.argv[1], sys.argv[2]
    version = importlib.metadata.version("faker")
    if version != expected:
        die(f"faker {version} is installed, expected {expected}")

    dropped = {"empty": [], "digit": [], "punctuation": [], "capitals": []}
    used = {}
    recased = {}
    result = {lang: collect(lang, locs, dropped, used, recased) for lang, locs in LANGUAGES.items()}

    os.makedirs(outdir, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=".names-", dir=outdir)
    total_bytes = 0
    for lang, names in result.items():
        if len(names) < 20:
            die(f"{lang}: only {len(names)} names")
        path = os.path.join(tmpdir, f"{lang}.txt")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(names) + "\n")
        total_bytes += check_file(path, names)
    if total_bytes > MAX_TOTAL_BYTES:
        die(f"output is {total_bytes} bytes, over {MAX_TOTAL_BYTES}")

    # Replace the folder's .txt files: stale languages are removed.
    wanted = {f"{lang}.txt" for lang in result}
    for fn in sorted(os.listdir(outdir)):
        if fn.endswith(".txt") and fn not in wanted:
            os.remove(os.path.join(outdir, fn))
    for fn in sorted(wanted):
        os.replace(os.path.join(tmpdir, fn), os.path.join(outdir, fn))
    os.rmdir(tmpdir)

    # Summary for Corpora/README.md.
    owner = {}
    for lang, names in result.items():
        for n in names:
            owner.setdefault(n, []).append(lang)
    shared = {n: langs for n, langs in owner.items() if len(langs) > 1}
    print(f"faker {version}")
    print()
    print("| file | faker locales | names | non-Latin | bytes |")
    print("| --- | --- | ---: | ---: | ---: |")
    tot_n = tot_nl = 0
    for lang, names in result.items():
        nl = sum(non_latin(n) for n in names)
        size = os.path.getsize(os.path.join(outdir, f"{lang}.txt"))
        tot_n += len(names)
        tot_nl += nl
        print(f"| `{lang}.txt` | {', '.join(LANGUAGES[lang])} | {len(names):,} | {nl:,} | {size:,} |")
    print(f"| **total** ({len(result)} files) | | {tot_n:,} | {tot_nl:,} | {total_bytes:,} |")
    print()
    print(f"distinct names: {len(owner):,}; in two or more files: {len(shared):,}")
    pairs = {}
    for langs in shared.values():
        for i in range(len(langs)):
            for j in range(i + 1, len(langs)):
                pairs[(langs[i], langs[j])] = pairs.get((langs[i], langs[j]), 0) + 1
    top = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    print("most shared pairs: " + ", ".join(f"{a}/{b} {n}" for (a, b), n in top))
    multi = sum(len(langs) for n, langs in owner.items() if " " in n)
    print(f"lines containing a space (compound names kept whole): {multi:,}")
    for why, items in dropped.items():
        print(f"dropped ({why}): {len(items)}" + (": " + ", ".join(f"{w} {r!r}" for w, r in items) if items else ""))
    for loc in sorted(recased):
        print(f"{loc}: re-cased transliterations (TH/CH/PS + lower case): {recased[loc]}")
    print()
    for loc in sorted(used):
        print(f"{loc}: {', '.join(used[loc])}")


if __name__ == "__main__":
    main()
