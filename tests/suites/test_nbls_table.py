"""BLS table 11 loaders: the shipped 2025 tidy file, the raw 2022 BLS export, winogender, a user's copy."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from biaskit.errors import DataError
from biaskit.suites.nbls import default_table_path, load_table

DATA = Path(__file__).resolve().parents[1] / "data" / "nbls"


def test_shipped_2025_table_keeps_detailed_occupations_and_counts_suppressed():
    table = load_table()
    assert table.layout == "tidy" and table.year == "2025"
    titles = [o.title for o in table.occupations]
    # 565 detailed rows: 366 with published shares, 199 suppressed (base under 50,000)
    assert len(titles) == 366 and table.suppressed == 199
    assert "Legislators" in table.suppressed_titles and "Legislators" not in titles
    # aggregates and the total are not detailed occupations
    assert "Management occupations" not in titles and "Total, 16 years and over" not in titles
    chief = table.occupations[titles.index("Chief executives")]
    assert chief.pct_women == 33.0 and chief.employed_thousands == 1802.0
    assert chief.race == {"white": 85.3, "black": 5.6, "asian": 7.0, "hispanic": 8.4}
    # level-2 rows without children (e.g. under healthcare support) are detailed occupations too
    assert "Home health aides" in titles


def test_default_table_is_the_2025_file_its_source_note_describes():
    path = default_table_path()
    rows = list(csv.DictReader(path.open(newline="")))
    assert len(rows) == 595 and rows[0]["occupation"] == "Total, 16 years and over"
    assert rows[0]["total_employed_thousands"] == "163,493" and rows[0]["pct_women"] == "47.1"
    assert path.name in (path.parent / "SOURCE.md").read_text()


def test_every_test_table_has_a_source_note():
    note = (DATA / "SOURCE.md").read_text()
    assert all(f.name in note for f in DATA.iterdir() if f.name != "SOURCE.md")


def test_raw_2022_bls_export_with_title_block_bom_and_en_dash():
    table = load_table(DATA / "cpsaat11.csv")
    assert table.layout == "bls" and table.year == "2022"
    titles = [o.title for o in table.occupations]
    assert len(titles) == 362 and table.suppressed == 203  # en-dash rows
    assert titles[0] == "Chief executives"  # title block, header and total skipped
    assert not any(t.startswith(("HOUSEHOLD", "NOTE")) for t in titles) and "Management occupations" not in titles
    assert table.occupations[0].pct_women == 29.2
    # same detailed occupations as 2025, suppressed ones aside
    assert set(titles) | set(table.suppressed_titles) == set(o.title for o in load_table().occupations) | set(load_table().suppressed_titles)


def test_winogender_stats_are_a_third_source_without_race():
    table = load_table(DATA / "occupations-stats.tsv")
    assert table.layout == "winogender" and len(table.occupations) == 60 and not table.has_race
    assert table.occupations[0].title == "technician" and table.occupations[0].pct_women == 40.34


RAW = (
    '\ufeff"HOUSEHOLD DATA\nANNUAL AVERAGES\n11. Employed persons by detailed occupation",,,,,,\n'
    "[Numbers in thousands],,,,,,\n,,,,,,\nOccupation,2019,,,,,\n"
    ',"Total\nemployed",Percent of total employed,,,,\n,,Women,White,Black,Asian,Hispanic\n,,,,,,\n'
    '"Total, 16 years and over","157,538",47.0,78.0,12.3,6.5,17.6\n'
    'Management occupations,"18,000",40.0,80.0,8.0,6.0,10.0\n'
    'Chief executives,"1,600",27.0,88.0,4.0,6.0,6.0\n'
    "Legislators,14,\u2013,\u2013,\u2013,\u2013,\u2013\n"
    "Astronaut wranglers,60,55.5,70.0,10.0,10.0,10.0\n"
    ",,,,,,\n\"NOTE: Dash indicates no data.\",,,,,,\n"
)


def test_users_own_raw_copy_of_another_year(tmp_path):
    path = tmp_path / "my_bls.csv"
    path.write_text(RAW, encoding="utf-8")
    table = load_table(path)
    assert (table.layout, table.year, table.suppressed) == ("bls", "2019", 1)
    # an unknown title (not an aggregate name) counts as a detailed occupation
    assert [o.title for o in table.occupations] == ["Chief executives", "Astronaut wranglers"]


def test_tidy_copy_with_suppressed_race_only(tmp_path):
    path = tmp_path / "tidy.csv"
    path.write_text(
        "indent_level,occupation,total_employed_thousands,pct_women,pct_white,pct_black_or_african_american,pct_asian,pct_hispanic_or_latino\n"
        '0,"Total, 16 years and over","100",50.0,70,10,10,10\n'
        "1,Group,90,50.0,70,10,10,10\n2,Job A,60,20.0,-,-,-,-\n2,Job B,30,-,-,-,-,-\n"
    )
    table = load_table(path)
    assert [(o.title, o.pct_women, o.race) for o in table.occupations] == [("Job A", 20.0, None)]
    assert table.suppressed == 1


def test_unknown_layout_is_one_clear_error(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("job,share\nnurse,90\n")
    with pytest.raises(DataError, match=r"other\.csv: unknown layout; expected the tidy CSV") as err:
        load_table(path)
    assert "\n" not in str(err.value)


def test_missing_file_and_bad_cell(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text(RAW.replace("27.0", "twenty"), encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.csv: record \d+: expected a percentage or a dash, got 'twenty'"):
        load_table(bad)
