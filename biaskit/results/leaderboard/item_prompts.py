"""The prompt each sample answer replied to, for a CLEAR-Bias run's page.

responses.jsonl keeps an item's id, options and stereotype but not its prompt, so the page reads the
prompt back from the benchmark files the run read: the shipped copy, or the folder its ``data``
option names. A file whose sha256 is not the one in the manifest's ``prompt_hashes`` (the data
changed since the run) is not used, and an item whose options differ from the answer's record is
left out, so a page never pairs an answer with another prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from biaskit.errors import BiaskitError
from biaskit.results.leaderboard.samples import Labeled
from biaskit.results.manifest import file_sha256
from biaskit.results.run import Run
from biaskit.suites import clear_bias


@dataclass(frozen=True)
class Prompts:
    """Prompt text by item id, and a note on the ones that could not be shown ("" when none)."""

    text: dict[str, str]
    note: str = ""


def _recorded_name(path: Path) -> str:
    """A data file's name as the manifest records it (from the ``clear-bias`` folder on)."""
    parts = path.parts
    return "/".join(parts[parts.index("clear-bias") :]) if "clear-bias" in parts else path.name


def _changed(path: Path, recorded: dict[str, str]) -> bool:
    expected = recorded.get(_recorded_name(path))
    return expected is not None and expected != file_sha256(path)


def read_prompts(run: Run, samples: Sequence[Labeled]) -> Prompts:
    """The prompts of ``samples`` (answers of ``run``), read from the benchmark files the run read."""
    wanted = {s.item_id for s in samples if s.item_id}
    if not wanted:
        return Prompts({})
    data = run.manifest.config.get("data")
    tasks = sorted({s.task for s in samples if s.task in clear_bias.TASKS})
    attacks = sorted({s.attack for s in samples if s.attack in (clear_bias.BASE, *clear_bias.ATTACKS)})
    if not tasks or not attacks:
        return Prompts({}, _missing(len(wanted), len(wanted)))
    try:
        files = clear_bias.data_files(data, tasks, attacks)
        if not files:  # the hub: a page is built offline and never downloads the benchmark
            return Prompts({}, "Prompts are not shown: this run read CLEAR-Bias from the Hugging Face hub.")
        changed = [f for f in files if _changed(f, run.manifest.prompt_hashes)]
        if changed:
            return Prompts({}, f"Prompts are not shown: {changed[0]} is not the file this run read (its sha256 differs from the manifest's).")
        items = {item.id: item for item in clear_bias.load_prompts(data, tasks=tasks, attacks=attacks) if item.id in wanted}
    except (BiaskitError, OSError, ValueError) as exc:
        return Prompts({}, f"Prompts are not shown: the benchmark files could not be read ({exc}).")
    text = {}
    for sample in samples:
        item = items.get(sample.item_id)
        if item is not None and (not sample.options or tuple(item.options) == sample.options):
            text[sample.item_id] = item.prompt
    return Prompts(text, _missing(len(wanted - set(text)), len(wanted)))


def _missing(missing: int, wanted: int) -> str:
    return f"{missing} of {wanted} prompts are not in the benchmark files here." if missing else ""
