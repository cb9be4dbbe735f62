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
import ctypes
import ctypes.util
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
    "Arabic": ["ar_AA", "ar_DZ", "ar_PS", "ar_SA", "fr_DZ"],
    "Chinese": ["zh_CN", "zh_TW"],
    "Czech": ["cs_CZ"],
    "Dutch": ["nl_NL", "nl_BE"],
    "English": ["en_US", "en_GB"],
    "French": ["fr_FR"],
    "German": ["de_DE", "de_AT", "de_CH"],
    "Greek": ["el_GR"],
    "Irish": ["ga_IE", "en_IE"],
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
# for these locales that plain form (marks removed, đ -> d) is added too. So
# it is for the other languages whose names carry diacritics and are typed
# without them in an English-language address book (Dvorak, Wisniewski,
# Garcia, Goncalves, Lefevre): Czech, Polish (ł -> l as well), Spanish,
# Portuguese and French. German names are typed with the German replacements
# instead (ä -> ae, ö -> oe, ü -> ue, ß -> ss: Mueller, Schaefer; DIN 5007-2),
# and those forms are added for the German locales. Irish fadas are left
# alone: the anglicised surnames of en_IE are the typed forms.
FOLD_DIACRITICS = {"vi_VN", "cs_CZ", "pl_PL", "es_ES", "es_MX", "pt_PT", "pt_BR", "fr_FR"}
GERMAN_REPLACEMENTS = {"de_DE", "de_AT", "de_CH"}
PLAIN_LETTERS = {"đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
GERMAN_LETTERS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


# Korean: faker has no romanized Korean lists. Each Hangul name is passed through
# ICU's "Hangul-Latin" transliterator (the system libicu that charrnn links,
# called through ctypes; see icu_transliterator below) and title-cased:
# 김 -> Gim, 민준 -> Minjun. That is the official Revised Romanization, which
# few people use for their surname, so the surnames' conventional spellings are
# added too: the spellings most used in South Korean passports, from the National
# Institute of Korean Language's 2007 survey as tabulated in English Wikipedia's
# "List of Korean surnames" (the top eight, with their shares, checked against
# https://tools.moneynestlab.com/en/guides/passport-english-name). Only
# surnames that faker's ko_KR lists are keyed here, and the script checks that.
ICU_TRANSLITERATE = {"ko_KR": "Hangul-Latin"}
KOREAN_SURNAME_SPELLINGS = {
    "김": ["Kim"], "이": ["Lee", "Yi", "Rhee"], "박": ["Park", "Pak"],
    "최": ["Choi"], "정": ["Jung", "Jeong", "Chung"], "강": ["Kang"],
    "조": ["Cho", "Jo"], "윤": ["Yoon", "Yun"], "장": ["Jang", "Chang"],
    "임": ["Lim", "Im", "Yim"], "한": ["Han"], "오": ["Oh"], "서": ["Seo", "Suh"],
    "신": ["Shin"], "권": ["Kwon"], "황": ["Hwang"], "안": ["Ahn", "An"],
    "송": ["Song"], "류": ["Ryu", "Yoo"], "전": ["Jeon", "Jun", "Chun"],
    "홍": ["Hong"], "고": ["Ko", "Koh"], "문": ["Moon"], "양": ["Yang"],
    "손": ["Son", "Sohn"], "배": ["Bae"], "백": ["Baek", "Paik"], "허": ["Heo", "Hur"],
    "유": ["Yoo", "Yu"], "남": ["Nam"], "심": ["Shim"], "노": ["Noh", "Roh"],
    "하": ["Ha"], "곽": ["Kwak"], "성": ["Sung"], "차": ["Cha"], "주": ["Joo", "Ju"],
    "우": ["Woo"], "구": ["Koo", "Ku"], "나": ["Na"], "민": ["Min"], "진": ["Jin"],
    "지": ["Ji"], "엄": ["Um", "Eom"],
}

# Arabic: the Arabic-script lists have no romanization in faker, and ICU's
# Arabic-Latin gives consonant skeletons (محمد -> mḥmd: the script does not
# write short vowels), which nobody types. Two sources instead:
#   - fr_DZ (in LANGUAGES above): faker's Algerian names, written in Latin
#     letters the way they are in Algeria (Benali, Bouaziz, Haddad, Amina); its
#     female first names include French ones (Anaïs, Céline), kept as listed.
#   - the common English spellings of the most frequent given names and
#     surnames of faker's Arabic lists, as the English Wikipedia article on each
#     name gives them (facts, not text: "Muhammad (name)", "Ahmad", "Hussein",
#     "Khoury", ...). Only names that faker's ar_* lists hold are keyed here,
#     and the script checks that.
ARABIC_SPELLINGS = {
    "محمد": ["Muhammad", "Mohammed", "Mohamed", "Mohammad"], "أحمد": ["Ahmed", "Ahmad"],
    "علي": ["Ali"], "حسن": ["Hassan", "Hasan"], "حسين": ["Hussein", "Hussain", "Husain"],
    "خالد": ["Khaled", "Khalid"], "إبراهيم": ["Ibrahim"], "يوسف": ["Youssef", "Yousef", "Yusuf"],
    "عمر": ["Omar", "Umar"], "محمود": ["Mahmoud", "Mahmood"], "مصطفى": ["Mustafa", "Mostafa"],
    "سالم": ["Salem", "Salim"], "صالح": ["Saleh", "Salih"], "ناصر": ["Nasser", "Nasir"],
    "منصور": ["Mansour", "Mansoor"], "خليل": ["Khalil"], "خوري": ["Khoury", "Khouri"],
    "عثمان": ["Othman", "Osman", "Uthman"], "كريم": ["Karim", "Kareem"], "عزيز": ["Aziz"],
    "رشيد": ["Rashid", "Rachid"], "فاطمة": ["Fatima", "Fatma"], "مريم": ["Maryam", "Mariam"],
    "زينب": ["Zainab", "Zaynab"], "ليلى": ["Layla", "Leila"], "نور": ["Nour", "Noor"],
    "سعيد": ["Saeed", "Said"], "حمدان": ["Hamdan"], "جابر": ["Jaber", "Jabir"],
    "قاسم": ["Qasim", "Kassem"],
}
CONVENTIONAL = {"ko_KR": KOREAN_SURNAME_SPELLINGS, "Arabic": ARABIC_SPELLINGS}


def icu_transliterator(rule_id):
    """A function applying ICU transform `rule_id` (e.g. "Hangul-Latin").

    Calls the system ICU (libicui18n, the library charrnn links) through
    ctypes. ICU suffixes its C symbols with the major version (utrans_openU_72),
    found here by trying the versions this script knows."""
    path = ctypes.util.find_library("icui18n")
    if not path:
        die("ICU not found (libicui18n); on Debian: apt-get install libicu-dev")
    lib = ctypes.CDLL(path)
    for major in range(60, 90):
        if hasattr(lib, f"utrans_openU_{major}"):
            break
    else:
        die(f"{path}: no utrans_openU_NN symbol")
    openu = getattr(lib, f"utrans_openU_{major}")
    openu.restype = ctypes.c_void_p
    openu.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int, ctypes.c_void_p,
                      ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    trans = getattr(lib, f"utrans_transUChars_{major}")
    trans.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int32), ctypes.c_int32,
                      ctypes.c_int32, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_int)]
    rid = rule_id.encode("utf-16-le")
    err = ctypes.c_int(0)
    handle = openu(rid, len(rid) // 2, 0, None, 0, None, ctypes.byref(err))
    if err.value > 0 or not handle:
        die(f"ICU could not open transform {rule_id!r} (error {err.value})")
    version = f"ICU {major} (libicui18n {os.path.realpath(path).rsplit('.so.', 1)[-1]})"

    def apply(text):
        src = text.encode("utf-16-le")
        cap = 8 * len(src) + 16                          # UTF-16 units
        buf = ctypes.create_string_buffer(src, 2 * cap)
        n = ctypes.c_int32(len(src) // 2)
        limit = ctypes.c_int32(len(src) // 2)
        e = ctypes.c_int(0)
        trans(handle, buf, ctypes.byref(n), cap, 0, ctypes.byref(limit), ctypes.byref(e))
        if e.value > 0:
            die(f"ICU {rule_id} failed on {text!r} (error {e.value})")
        return buf.raw[: 2 * n.value].decode("utf-16-le")
    return apply, version


def fold_diacritics(name):
    for a, b in PLAIN_LETTERS.items():
        name = name.replace(a, b)
    decomposed = unicodedata.normalize("NFD", name)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def german_replacements(name):
    for a, b in GERMAN_LETTERS.items():
        name = name.replace(a, b)
    return name


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
        if loc in ICU_TRANSLITERATE:
            rule = ICU_TRANSLITERATE[loc]
            apply, version = icu_transliterator(rule)
            used[loc].append(f"ICU {rule!r} applied to the above, title-cased ({version})")
            for name in sorted(native):
                latin = clean(apply(name).title(), f"{loc}.icu", dropped)
                if latin is None:
                    continue
                if non_latin(latin):
                    die(f"{loc}: ICU {rule}({name!r}) left non-Latin letters: {latin!r}")
                names.add(latin)
        if loc in CONVENTIONAL:
            add_conventional(loc, CONVENTIONAL[loc], native, names, used)
        if loc in FOLD_DIACRITICS:
            used[loc].append("diacritics removed from the above (build_names.fold_diacritics)")
            for name in sorted(native):
                plain = clean(fold_diacritics(name), f"{loc}.fold_diacritics", dropped)
                if plain is not None:
                    names.add(plain)
        if loc in GERMAN_REPLACEMENTS:
            used[loc].append("ä ö ü ß written ae oe ue ss in the above (build_names.german_replacements)")
            for name in sorted(native):
                plain = clean(german_replacements(name), f"{loc}.german_replacements", dropped)
                if plain is not None:
                    names.add(plain)
    if language in CONVENTIONAL:
        add_conventional(language, CONVENTIONAL[language], names, names, used)
    return sorted(names)


def add_conventional(key, table, native, names, used):
    """Add the conventional Latin spellings in `table` (native name -> spellings),
    after checking that every native name it keys is one the source lists."""
    missing = sorted(k for k in table if k not in native)
    if missing:
        die(f"{key}: conventional spellings keyed by names the source does not list: {missing}")
    spellings = [s for k in sorted(table) for s in table[k]]
    for s in spellings:
        if non_latin(s) or clean(s, key, {"empty": [], "digit": [], "punctuation": [], "capitals": []}) != s:
            die(f"{key}: bad conventional spelling {s!r}")
    names.update(spellings)
    used.setdefault(key, []).append(
        f"{len(spellings)} conventional spellings of {len(table)} names (build_names.CONVENTIONAL)")


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
