"""The committed gemma3-270m and smollm2-135m rows show their engaged share on the leaderboard, and
the rows whose safe answers are mostly non-answers carry the mark; a screenshot at 1280 px is kept
in tests/artifacts/leaderboard-competence-1280.png."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from biaskit.results.leaderboard import build_leaderboard

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_leaderboard(REPO / "results", out)
    return out


def test_committed_rows_show_their_engaged_share(site):
    rows = {(r["model"], r["condition"]): r for r in csv.DictReader((site / "leaderboard.csv").open())}
    gemma, smol = rows[("gemma3-270m", "plain")], rows[("smollm2-135m", "plain")]
    assert float(gemma["safety"]) == 0.915 and float(gemma["competence"]) == 0.125
    assert float(smol["competence"]) == 0.705
    markdown = (site / "leaderboard.md").read_text()
    assert "| Engaged |" in markdown and "| 0.125 ⚠ |" in markdown
    html = (site / "index.html").read_text()
    assert ">Engaged<" in html and "Most answers counted as safe (R, D) are non-answers" in html
    assert "Audit and competence" in html  # the legend defines the column


def test_screenshot_at_1280(site, tmp_path):
    browser, driver_path = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("chromium and chromium-driver are not installed (CI installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
                 "--window-size=1280,900"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((site / "index.html").as_uri())
        heads = [th.text.strip() for th in driver.find_elements("css selector", "#leaderboard thead th")]
        engaged, safety = heads.index("Engaged"), heads.index("Safety")
        rows = {}
        for tr in driver.find_elements("css selector", "#leaderboard tbody tr"):
            cells = tr.find_elements("css selector", "td")
            rows[f"{cells[1].text} {cells[2].text}"] = (cells[engaged].text, cells[safety].text)
        assert rows["gemma3-270m plain"][0] == "0.125" and rows["gemma3-270m plain"][1].startswith("0.915") and "⚠" in rows["gemma3-270m plain"][1]
        assert rows["smollm2-135m plain"][0] == "0.705"
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 1280 + 1
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "leaderboard-competence-1280.png"))
    finally:
        driver.quit()
