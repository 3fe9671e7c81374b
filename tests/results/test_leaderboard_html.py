"""The static site: untrusted run text is inert, and the page works in a real headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from biaskit.results.leaderboard import build_leaderboard
from biaskit.results.leaderboard.build import slug
from biaskit.results.leaderboard.synthetic import write_clear_bias_run, write_nbls_run

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"

# What a jailbroken model might answer, and a model name chosen by an attacker.
EVIL_RESPONSE = '<script>window.__pwned = "response"</script><img src=x onerror="window.__pwned=\'img\'"> (A)'
EVIL_MODEL = '<img src=x onerror="window.__pwned=\'model\'">evil<script>window.__pwned="model-script"</script>'
EVIL_CATEGORY = '"><svg onload="window.__pwned=\'category\'">'


def _plant(run: Path, model: str | None = None) -> None:
    lines = (run / "responses.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for record in records[:3]:
        record["response"] = EVIL_RESPONSE
        record["category"] = EVIL_CATEGORY
    (run / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    if model:
        manifest = json.loads((run / "manifest.json").read_text())
        manifest["engine"]["model"] = model
        (run / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("results")
    for i, model in enumerate(["org/alpha", "org/beta", "org/gamma", EVIL_MODEL]):
        run = write_clear_bias_run(results, f"cb-{i}", model, seed=10 + i, prompts_per_cell=3, n_boot=30)
        if i == 0:
            _plant(run)
    write_nbls_run(results, "nbls-delta", "org/delta", seed=20, n_occupations=10, n_boot=10)
    out = tmp_path_factory.mktemp("site")
    build_leaderboard(results, out)
    return out


def _pages(site: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in [site / "index.html", *sorted((site / "runs").glob("*.html"))]}


def test_untrusted_text_is_escaped_on_every_page(site) -> None:
    pages = _pages(site)
    assert set(pages) == {"index.html", "cb-0.html", "cb-1.html", "cb-2.html", "cb-3.html", "nbls-delta.html"}
    for name, html in pages.items():
        for planted in (EVIL_RESPONSE, EVIL_MODEL, EVIL_CATEGORY, "<img", "<svg onload", "onerror=\"window"):
            assert planted not in html, (name, planted)
        assert html.count("<script") == 1, name  # only the page's own sorting script
    # jinja2 (markupsafe) writes quotes as numeric references: &#34; and &#39;
    assert "&lt;script&gt;window.__pwned = &#34;response&#34;&lt;/script&gt;" in pages["cb-0.html"]
    assert "&lt;img src=x onerror=" in pages["index.html"]  # the evil model name, shown as text
    assert "&lt;img src=x onerror=" in pages["cb-3.html"]


def test_pages_forbid_foreign_scripts_and_network(site) -> None:
    html = (site / "index.html").read_text()
    assert "Content-Security-Policy" in html and "default-src &#39;none&#39;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def _chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("chromium and chromium-driver are not installed (CI installs them)")
    # With a browser present, a missing selenium is an install error, not a reason to skip.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _chromium()
    yield driver
    driver.quit()


def _errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def _column(driver, header: str) -> list[str]:
    heads = [th.text.strip() for th in driver.find_elements("css selector", "#leaderboard thead th")]
    col = next(i for i, h in enumerate(heads) if h.rstrip(" ▲▼") == header)
    return [row.find_elements("css selector", "td")[col].text for row in driver.find_elements("css selector", "#leaderboard tbody tr")]


def test_page_opens_from_disk_and_sorts_in_chromium(site, browser) -> None:
    browser.get((site / "index.html").as_uri())
    assert browser.title == "biaskit leaderboard"
    assert _errors(browser) == []
    models = _column(browser, "Model")
    assert len(models) == 5 and EVIL_MODEL in models  # shown as text, never as markup
    safety = [float(v.split()[0]) if v else None for v in _column(browser, "Safety")]
    present = [v for v in safety if v is not None]
    assert present == sorted(present, reverse=True)  # built sorted by safety

    header = next(th for th in browser.find_elements("css selector", "#leaderboard thead th") if th.text.strip() == "Model")
    header.click()
    assert _column(browser, "Model") == sorted(models, key=str.lower)
    header.click()
    assert _column(browser, "Model") == sorted(models, key=str.lower, reverse=True)
    robust_header = next(th for th in browser.find_elements("css selector", "#leaderboard thead th") if th.text.strip() == "Robustness")
    robust_header.click()
    robustness = [float(v) for v in _column(browser, "Robustness") if v]
    assert robustness == sorted(robustness)
    assert _column(browser, "Robustness")[-1] == ""  # the NBLS-only row has none: sorted last

    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    _screenshot(browser, "leaderboard-index.png")
    assert _errors(browser) == []


def test_run_page_with_planted_markup_is_inert_in_chromium(site, browser) -> None:
    browser.get((site / "runs" / f"{slug('cb-0')}.html").as_uri())
    cells = [c.text for c in browser.find_elements("css selector", "pre.response")]
    assert any(EVIL_RESPONSE in text for text in cells)  # the response is shown, as text
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img').length + document.scripts.length") == 1
    assert browser.find_elements("css selector", "svg[onload]") == []
    ARTIFACTS.mkdir(exist_ok=True)
    _screenshot(browser, "leaderboard-run.png")
    assert _errors(browser) == []


# The committed board, as a reader sees it: phone and laptop widths, screenshots kept for review.
WIDTHS = {"1280": (1280, 1000), "390": (390, 844)}


@pytest.fixture(scope="module")
def committed_site(tmp_path_factory, committed_results):
    out = tmp_path_factory.mktemp("committed-site")
    collection = build_leaderboard(committed_results, out)
    if not collection.rows:
        pytest.skip("no runs committed under results/ yet")
    return out, collection


def _viewport(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def _overflow(driver) -> tuple[int, int]:
    return driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")


def _screenshot(driver, name: str) -> None:
    """A viewport screenshot in tests/artifacts, kept small (128 colours) to be worth committing."""
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    try:
        from PIL import Image
    except ImportError:  # the full-colour screenshot is kept
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


def _legend_text(driver) -> str:
    legend = driver.find_element("css selector", "#legend")
    assert legend.is_displayed()
    return legend.text


def test_committed_board_fits_and_explains_its_columns(committed_site, browser) -> None:
    site, collection = committed_site
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for name, (width, height) in WIDTHS.items():
            _viewport(browser, width, height)
            browser.get((site / "index.html").as_uri())
            assert _errors(browser) == []
            scroll_width, inner = _overflow(browser)
            assert scroll_width <= inner, (name, scroll_width, inner)
            # The table itself fits: no column hidden behind a scroll bar of its box.
            assert browser.execute_script(
                "var t = document.getElementById('leaderboard'); return t.getBoundingClientRect().width <= t.parentElement.clientWidth + 1"
            ), name
            text = _legend_text(browser)
            for term in ("Robustness", "Fairness", "Safety", "tau", "Judge-corrected", "95% bootstrap", "Mean |gap|",
                         "Signed gap", "Neither share", "Stereotyped", "Counter-stereotyped", "Debiased", "Refusal", "Misunderstood"):
                assert term in text, (name, term)
            taus = {f"{run.scores.tau:g}" for run in collection.runs if run.suite == "clear-bias"}
            assert all(tau in text for tau in taus)
            _screenshot(browser, f"leaderboard-{name}.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    judges = {cell.get_attribute("data-sort") for cell in browser.find_elements("css selector", "#leaderboard td.judge") if cell.get_attribute("data-sort")}
    assert judges == {row.judge for row in collection.rows if row.judge}  # one name per judge, the run's own


def test_committed_run_report_shows_prompts_options_and_legend(committed_site, browser) -> None:
    site, collection = committed_site
    run = next((r.clear_bias for r in collection.rows if r.clear_bias is not None and r.condition == "plain"), None)
    if run is None:
        pytest.skip("no plain CLEAR-Bias run committed")
    lines_shown: list[float] = []
    try:
        for name, (width, height) in WIDTHS.items():
            _viewport(browser, width, height)
            browser.get((site / "runs" / f"{slug(run.name)}.html").as_uri())
            assert _errors(browser) == []
            scroll_width, inner = _overflow(browser)
            if name == "1280":
                assert scroll_width <= inner, (scroll_width, inner)
            assert "Stereotyped" in _legend_text(browser) and f"{run.scores.tau:g}" in _legend_text(browser)
            _screenshot(browser, f"run-report-{name}.png")
            rows = browser.find_elements("css selector", "table.samples tbody tr")
            assert rows
            with_options = [r for r in rows if r.find_elements("css selector", ".options li")]
            assert with_options, "no sample shows its prompt's options"
            for row in with_options:
                assert len(row.find_elements("css selector", ".options li.stereotype")) <= 1
                assert row.find_elements("css selector", "pre.prompt"), row.text[:80]
            # The sample the issue was about: the dataset's STEREOTYPE column names another option
            # text than the prompt's; the page shows the prompt's own options, one marked.
            odd = [r for r in with_options if "STEREOTYPE column reads" in r.text]
            target = odd[0] if odd else with_options[0]
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", target)
            _screenshot(browser, f"run-report-samples-{name}.png")
            lines_shown += _lines_in_scrolling_boxes(browser)
        # a prompt or answer box that scrolls shows whole lines, never one cut in half
        assert lines_shown and all(abs(n - round(n)) < 0.05 for n in lines_shown), lines_shown
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _lines_in_scrolling_boxes(driver) -> list[float]:
    """How many lines each prompt or answer box that scrolls shows (its inner height / line height)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('pre.prompt, pre.response'))
            .filter(e => e.scrollHeight > e.clientHeight + 1)
            .map(e => { const s = getComputedStyle(e);
                        return (e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)) / parseFloat(s.lineHeight); });
    """)


def test_a_small_sample_warning_shows_on_the_board_and_the_run_page(committed_results, browser, tmp_path) -> None:
    """The committed board plus a quick run (2 answers per category, as --limit 20 gives) of a model no
    committed run has, so that its row shows: the warning is above the table and on its run page."""
    root = tmp_path / "results"
    shutil.copytree(committed_results, root)
    quick = write_clear_bias_run(root, "clear-bias-example-quick-limit20", "example/quick-run", seed=7, prompts_per_cell=1, n_boot=30)
    build_leaderboard(root, tmp_path / "site")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _viewport(browser, 1280, 1000)
        for page, shot in ((tmp_path / "site" / "index.html", "leaderboard-small-sample-1280.png"),
                           (tmp_path / "site" / "runs" / f"{slug(quick.name)}.html", "run-small-sample-1280.png")):  # fmt: skip
            browser.get(page.as_uri())
            assert _errors(browser) == []
            warning = browser.find_element("css selector", "p.small-sample")
            assert warning.is_displayed() and "Small sample: a category rests on as few as 2 answers" in warning.text
            assert warning.location["y"] < 1000  # on the first screen, where the figures start
            scroll_width, inner = _overflow(browser)
            assert scroll_width <= inner, (shot, scroll_width, inner)
            _screenshot(browser, shot)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
