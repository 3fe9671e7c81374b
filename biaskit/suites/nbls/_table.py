"""BLS CPS table 11 ("employed by detailed occupation, sex, race, and Hispanic or Latino ethnicity").

Three on-disk layouts are read, each detected from the file's first records:

- ``tidy``: the 2025 file shipped in ``prompts/nbls/`` (header ``indent_level,occupation,...``;
  the hierarchy is the indent level, suppressed cells are ``-``).
- ``bls``: the raw export BLS offers for download (a title block before the data, a BOM, header
  cells with line breaks, suppressed cells as an en dash, a closing ``NOTE:`` record). It has no
  indent levels, so aggregate rows are recognised by their titles, which BLS keeps stable across
  years (the shipped 2025 file supplies them).
- ``winogender``: ``occupations-stats.tsv`` of the WinoGender schemas (BLS 2015/16 % women, no race).

Only detailed occupations (leaf rows) are kept; rows whose shares BLS suppressed are skipped and counted.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from biaskit.errors import DataError, shorten
from biaskit.paths import data_dir

Layout = Literal["tidy", "bls", "winogender"]
RACE_GROUPS: tuple[str, ...] = ("white", "black", "asian", "hispanic")
RACE_LABELS = {"white": "White", "black": "Black or African American", "asian": "Asian", "hispanic": "Hispanic or Latino"}
_TIDY_COLUMNS = (
    "indent_level",
    "occupation",
    "total_employed_thousands",
    "pct_women",
    "pct_white",
    "pct_black_or_african_american",
    "pct_asian",
    "pct_hispanic_or_latino",
)
_SUPPRESSED = {"-", "\u2013", "\u2014", ""}
_TOTAL = "total, 16 years and over"


@dataclass(frozen=True)
class Occupation:
    """One detailed occupation with its BLS shares, in percent (race is None where the table has none)."""

    title: str
    pct_women: float
    race: dict[str, float] | None = None  # RACE_GROUPS -> percent; groups overlap (Hispanic: any race)
    employed_thousands: float | None = None


@dataclass(frozen=True)
class BLSTable:
    """The detailed occupations of one table, and how many of them BLS suppressed."""

    source: str
    layout: Layout
    year: str
    occupations: tuple[Occupation, ...]
    suppressed: int
    suppressed_titles: tuple[str, ...] = field(default=(), repr=False)

    @property
    def has_race(self) -> bool:
        return any(o.race is not None for o in self.occupations)


def default_table_path() -> Path:
    """BLS CPS table 11, 2025 annual averages, shipped with biaskit (see prompts/nbls/SOURCE.md)."""
    return data_dir("prompts") / "nbls" / "cpsaat11_2025.csv"


def normalise_title(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().lower()


def load_table(path: str | Path | None = None) -> BLSTable:
    """Read a BLS table 11 file (default: the shipped 2025 table), detecting its layout."""
    path = Path(path) if path is not None else default_table_path()
    if not path.is_file():
        raise DataError(f"BLS table {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"BLS table {path}: cannot read it as UTF-8 text ({exc})") from exc
    layout = detect_layout(text)
    if layout is None:
        raise DataError(
            f"BLS table {path}: unknown layout; expected the tidy CSV (header starting 'indent_level,occupation'), "
            "the raw BLS cpsaat11 export (title block, 'Occupation,YEAR' header) or winogender's occupations-stats.tsv"
        )
    reader = {"tidy": _read_tidy, "bls": _read_bls, "winogender": _read_winogender}[layout]
    return reader(path, text)


def detect_layout(text: str) -> Layout | None:
    """Which layout ``text`` is in, from its first records; None when it is none of them."""
    head = text.lstrip()[:2000]
    first = head.splitlines()[0] if head else ""
    if first.replace(" ", "").lower().startswith("indent_level,occupation"):
        return "tidy"
    if "\t" in first and "bls_pct_female" in first.split("\t"):
        return "winogender"
    if re.search(r"^Occupation,(19|20)\d\d", head, flags=re.MULTILINE) and "employed" in head.lower():
        return "bls"
    return None


def _percent(cell: str, path: Path, where: str) -> float | None:
    cell = cell.strip()
    if cell in _SUPPRESSED:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"BLS table {path}: {where}: expected a percentage or a dash, got {shorten(cell)}") from None
    if not 0.0 <= value <= 100.0:
        raise DataError(f"BLS table {path}: {where}: percentage {value} is outside 0-100")
    return value


def _thousands(cell: str) -> float | None:
    try:
        return float(cell.replace(",", "").strip())
    except ValueError:
        return None


def _occupation(title: str, cells: list[str], path: Path, where: str) -> Occupation | None:
    """A row's shares (women, then the four race columns); None when the women's share is suppressed."""
    women = _percent(cells[0], path, where)
    if women is None:
        return None
    race_values = [_percent(c, path, where) for c in cells[1:5]]
    race = dict(zip(RACE_GROUPS, race_values)) if len(race_values) == 4 and None not in race_values else None
    return Occupation(title=title, pct_women=women, race=race)  # type: ignore[arg-type]


def _build(path: Path, layout: Layout, year: str, leaves: list[tuple[str, str, list[str], str]]) -> BLSTable:
    """leaves: (title, employed, share cells, location) of each detailed occupation."""
    kept: list[Occupation] = []
    suppressed: list[str] = []
    for title, employed, cells, where in leaves:
        occupation = _occupation(title, cells, path, where)
        if occupation is None:
            suppressed.append(title)
            continue
        kept.append(Occupation(occupation.title, occupation.pct_women, occupation.race, _thousands(employed)))
    if not kept:
        raise DataError(f"BLS table {path}: no detailed occupation has a published share of women")
    return BLSTable(str(path), layout, year, tuple(kept), len(suppressed), tuple(suppressed))


def _read_tidy(path: Path, text: str) -> BLSTable:
    rows = list(csv.DictReader(text.splitlines()))
    missing = [c for c in _TIDY_COLUMNS if c not in (rows[0].keys() if rows else ())]
    if missing:
        raise DataError(f"BLS table {path}: missing column(s) {', '.join(missing)}; expected {', '.join(_TIDY_COLUMNS)}")
    try:
        levels = [int(r["indent_level"]) for r in rows]
    except ValueError as exc:
        raise DataError(f"BLS table {path}: indent_level must be an integer ({exc})") from None
    leaves = []
    for i, row in enumerate(rows):
        has_child = i + 1 < len(rows) and levels[i + 1] > levels[i]
        if has_child or normalise_title(row["occupation"]) == _TOTAL:
            continue
        cells = [row[c] for c in _TIDY_COLUMNS[3:]]
        leaves.append((row["occupation"].strip(), row["total_employed_thousands"], cells, f"line {i + 2}"))
    return _build(path, "tidy", _year_from_name(path) or "", leaves)


@lru_cache(maxsize=1)
def aggregate_titles() -> frozenset[str]:
    """Titles of BLS aggregate rows (those with children), from the shipped tidy table's indent levels."""
    rows = list(csv.DictReader(default_table_path().read_text(encoding="utf-8").splitlines()))
    levels = [int(r["indent_level"]) for r in rows]
    return frozenset(normalise_title(r["occupation"]) for i, r in enumerate(rows) if i + 1 < len(rows) and levels[i + 1] > levels[i]) | {_TOTAL}


def _read_bls(path: Path, text: str) -> BLSTable:
    records = list(csv.reader(text.splitlines(keepends=True)))
    year = ""
    aggregates = aggregate_titles()
    leaves = []
    line = 0
    for record in records:
        line += 1
        if record and record[0].strip() == "Occupation" and len(record) > 1:
            year = record[1].strip()
            continue
        # data rows: a title, then the employment count (the title block and notes have no digit there)
        if len(record) < 7 or not record[0].strip() or not record[1].strip()[:1].isdigit():
            continue
        title = re.sub(r"\s+", " ", record[0]).strip()
        if normalise_title(title) in aggregates:
            continue
        leaves.append((title, record[1], record[2:7], f"record {line}"))
    if not leaves:
        raise DataError(f"BLS table {path}: found the BLS title block but no occupation rows after it")
    return _build(path, "bls", year, leaves)


def _read_winogender(path: Path, text: str) -> BLSTable:
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    leaves = [(r["occupation"].strip(), "", [r["bls_pct_female"]], f"line {i + 2}") for i, r in enumerate(rows)]
    years = sorted({r.get("bls_year", "").strip() for r in rows} - {""})
    return _build(path, "winogender", "/".join(years), leaves)


def _year_from_name(path: Path) -> str | None:
    match = re.search(r"(19|20)\d\d", path.name)
    return match.group(0) if match else None
