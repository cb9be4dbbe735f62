"""Write Corpora/series/*.csv from the dataset files inside a statsmodels wheel.

    python3 Corpora/build_series.py statsmodels-0.15.0-....whl Corpora/series

Standard library only. Reads, from the wheel (a zip file):
  statsmodels/datasets/sunspots/sunspots.csv  YEAR,SUNACTIVITY  (1700-2008, yearly)
  statsmodels/datasets/co2/co2.csv            date,co2          (weekly, 1958-03-29 .. 2001-12-29)
  statsmodels/datasets/nile/nile.csv          year,volume       (1871-1970, yearly)
and checks each dataset's COPYRIGHT line in its data.py. Writes:
  sunspots.csv      year,sunspots      as given
  co2-monthly.csv   month,co2          the mean of the weekly values dated in each calendar month,
                                       rounded to 2 decimals; a month with no weekly value is an
                                       empty cell (read it with --fill previous)
  nile.csv          year,volume        as given
"""

import csv
import hashlib
import io
import os
import re
import sys
import zipfile

EXPECTED_COPYRIGHT = {
    "sunspots": "This data is public domain.",
    "co2": "This is public domain.",
    "nile": "This is public domain.",
}


def read_dataset(wheel, name):
    text = wheel.read(f"statsmodels/datasets/{name}/{name}.csv").decode("utf-8")
    source = wheel.read(f"statsmodels/datasets/{name}/data.py").decode("utf-8")
    match = re.search(r'COPYRIGHT\s*=\s*"""(.*?)"""', source, re.S)
    if not match or match.group(1).strip() != EXPECTED_COPYRIGHT[name]:
        sys.exit(f"error: {name}: the COPYRIGHT of data.py is not {EXPECTED_COPYRIGHT[name]!r}; check the licence")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def number(text):
    """The value as written, without a needless '.0'."""
    value = float(text)
    return str(int(value)) if value == int(value) else text


def write(path, header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("ascii")
    with open(path, "wb") as f:
        f.write(data)
    print(f"{hashlib.sha256(data).hexdigest()}  {os.path.basename(path)}  ({len(rows)} rows, {len(data)} bytes)")


def main():
    wheel_path, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with zipfile.ZipFile(wheel_path) as wheel:
        header, rows = read_dataset(wheel, "sunspots")
        assert header == ["YEAR", "SUNACTIVITY"], header
        years = [int(float(r[0])) for r in rows]
        assert years == list(range(1700, 2009)), "sunspots: not the years 1700-2008"
        write(os.path.join(out, "sunspots.csv"), ["year", "sunspots"], [[y, number(r[1])] for y, r in zip(years, rows)])

        header, rows = read_dataset(wheel, "co2")
        assert header == ["date", "co2"], header
        months = {}
        for date, value in rows:
            key = f"{date[0:4]}-{date[4:6]}"
            months.setdefault(key, [])
            if value.strip():
                months[key].append(float(value))
        first, last = min(months), max(months)
        y, m = int(first[:4]), int(first[5:])
        monthly = []
        while f"{y:04d}-{m:02d}" <= last:
            values = months.get(f"{y:04d}-{m:02d}", [])
            monthly.append([f"{y:04d}-{m:02d}", f"{sum(values) / len(values):.2f}" if values else ""])
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        write(os.path.join(out, "co2-monthly.csv"), ["month", "co2"], monthly)

        header, rows = read_dataset(wheel, "nile")
        assert header == ["year", "volume"], header
        assert [int(r[0]) for r in rows] == list(range(1871, 1971)), "nile: not the years 1871-1970"
        write(os.path.join(out, "nile.csv"), ["year", "volume"], [[r[0], number(r[1])] for r in rows])


if __name__ == "__main__":
    main()
