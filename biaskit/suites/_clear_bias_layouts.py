"""Reading CLEAR-Bias from its three homes into plain rows with the same keys.

- ``CsvTree``: the CSV export (``base_prompts/``, ``control_set/``, ``jailbreak_prompts/<task
  folder>/<attack>/<attack>_v<k>_<task>.csv``); task, attack and variant come from the path.
- ``ParquetConfigs``: a local copy of the hub configs, one folder per config holding parquet
  files (``base_prompts/train-00000-of-00001.parquet``) or one ``<config>.parquet`` file;
  task, attack and variant come from the TASK / ATTACK / VARIANT columns.
- ``HubConfigs``: the same configs read with ``datasets.load_dataset("RCantini/CLEAR-Bias", config)``.

Every row carries ``where`` (file and line or row number) so that errors can name it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from biaskit.errors import DataError, shorten

HUB_ID = "RCantini/CLEAR-Bias"
PROMPT_COLUMNS = ("BIAS CATEGORY", "STEREOTYPE", "COUNTER-STEREOTYPE", "PROMPT")
CONTROL_COLUMNS = ("BIAS CATEGORY", "PROMPT", "RESPONSE", "LABEL")
TASK_FOLDER = {"CTO": "choose_the_option", "SC": "sentence_completion"}
_TASK_NAMES = {"cto": "CTO", "choose_the_option": "CTO", "choose the option": "CTO",
               "sc": "SC", "sentence_completion": "SC", "sentence completion": "SC"}  # fmt: skip
Row = dict[str, Any]


def task_name(value: object, where: str) -> str:
    name = _TASK_NAMES.get(str(value).strip().lower())
    if name is None:
        raise DataError(f"{where}: unknown TASK {shorten(value)}; expected CTO or SC")
    return name


def attack_name(value: object) -> str:
    return re.sub(r"[\s-]+", "_", str(value).strip().lower())


def variant_number(value: object, where: str) -> int:
    digits = re.findall(r"\d+", str(value))
    if not digits:
        raise DataError(f"{where}: VARIANT {shorten(value)} has no variant number (expected 1, 2, 3 or v1, v2, v3)")
    return int(digits[0])


def _check_columns(columns: Sequence[str], required: Sequence[str], where: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}")


class CsvTree:
    """The CSV export of the benchmark's data loader."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, task: str, attack: str, variant: int) -> Path:
        if attack == "base":
            return self.root / "base_prompts" / f"base_prompts_{task}.csv"
        return self.root / "jailbreak_prompts" / TASK_FOLDER[task] / attack / f"{attack}_v{variant}_{task}.csv"

    def files(self, task: str, attack: str, variant: int) -> list[Path]:
        return [self.path(task, attack, variant)]

    def prompt_rows(self, task: str, attack: str, variant: int) -> list[Row]:
        path = self.path(task, attack, variant)
        rows = self._read(path, PROMPT_COLUMNS)
        if not rows:
            raise DataError(f"{path}: no prompt rows below the header (line 1); expected one row per prompt")
        return rows

    def control_rows(self, task: str) -> list[Row]:
        return self._read(self.root / "control_set" / f"control_set_{task}.csv", CONTROL_COLUMNS)

    def control_files(self, task: str) -> list[Path]:
        return [self.root / "control_set" / f"control_set_{task}.csv"]

    @staticmethod
    def _read(path: Path, required: Sequence[str]) -> list[Row]:
        if not path.is_file():
            raise DataError(f"CLEAR-Bias file {path} is missing")
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                _check_columns(reader.fieldnames or [], required, str(path))
                rows = list(reader)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(f"{path}: cannot read CSV ({exc})") from exc
        return [{**row, "where": f"{path}: line {number}"} for number, row in enumerate(rows, start=2)]


class _TableConfigs:
    """Shared filtering of the hub's config tables (parquet files or ``datasets``)."""

    def table(self, config: str) -> tuple[list[Row], str]:
        raise NotImplementedError

    def files(self, task: str, attack: str, variant: int) -> list[Path]:
        return []

    def control_files(self, task: str) -> list[Path]:
        return []

    def prompt_rows(self, task: str, attack: str, variant: int) -> list[Row]:
        config = "base_prompts" if attack == "base" else "jailbreak_prompts"
        rows, source = self.table(config)
        required = PROMPT_COLUMNS + (("TASK",) if attack == "base" else ("TASK", "ATTACK", "VARIANT"))
        _check_columns(list(rows[0]) if rows else [], required, source)
        keep = []
        for number, row in enumerate(rows):
            where = f"{source}: row {number}"
            if task_name(row["TASK"], where) != task:
                continue
            if attack != "base" and (attack_name(row["ATTACK"]) != attack or variant_number(row["VARIANT"], where) != variant):
                continue
            keep.append({**row, "where": where})
        if not keep:
            raise DataError(f"{source}: no rows for task {task}, attack {attack}" + (f", variant {variant}" if attack != "base" else ""))
        return keep

    def control_rows(self, task: str) -> list[Row]:
        rows, source = self.table("control_set")
        _check_columns(list(rows[0]) if rows else [], CONTROL_COLUMNS + ("TASK",), source)
        return [{**r, "where": f"{source}: row {n}"} for n, r in enumerate(rows) if task_name(r["TASK"], f"{source}: row {n}") == task]


class ParquetConfigs(_TableConfigs):
    """A local copy of the hub configs as parquet files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[Row]] = {}

    def config_files(self, config: str) -> list[Path]:
        single = self.root / f"{config}.parquet"
        found = [single] if single.is_file() else sorted((self.root / config).rglob("*.parquet"))
        if not found:
            raise DataError(f"{self.root}: no parquet files for config {config!r} (expected {config}.parquet or {config}/*.parquet)")
        return found

    def files(self, task: str, attack: str, variant: int) -> list[Path]:
        return self.config_files("base_prompts" if attack == "base" else "jailbreak_prompts")

    def control_files(self, task: str) -> list[Path]:
        return self.config_files("control_set")

    def table(self, config: str) -> tuple[list[Row], str]:
        files = self.config_files(config)
        if config not in self._cache:
            import pandas as pd

            frames = []
            for path in files:
                try:
                    frames.append(pd.read_parquet(path))
                except Exception as exc:  # pyarrow raises several types for a bad file
                    raise DataError(f"{path}: cannot read parquet ({exc})") from exc
            self._cache[config] = pd.concat(frames, ignore_index=True).to_dict("records")
        return self._cache[config], str(files[0] if len(files) == 1 else self.root / config)


class HubConfigs(_TableConfigs):
    """The configs on the Hugging Face hub (needs the network, or a warm ``datasets`` cache)."""

    def __init__(self, repo: str = HUB_ID) -> None:
        self.repo = repo
        self._cache: dict[str, list[Row]] = {}

    def table(self, config: str) -> tuple[list[Row], str]:
        source = f"hf://{self.repo} (config {config})"
        if config not in self._cache:
            try:
                import datasets

                self._cache[config] = datasets.load_dataset(self.repo, config, split="train").to_pandas().to_dict("records")
            except Exception as exc:  # offline, unknown config, no `datasets`: one line either way
                raise DataError(
                    f"{source}: cannot load from the hub ({type(exc).__name__}: {str(exc)[:200]}); use --data PATH for a local copy"
                ) from exc
        return self._cache[config], source


Layout = CsvTree | ParquetConfigs | HubConfigs


def open_layout(data: str | Path | None, default: Path) -> Layout:
    """The layout at ``data``: None (shipped copy), "hub" / "hf://..." / the hub id, or a local folder."""
    if data is None:
        return CsvTree(default)
    text = str(data)
    if text in ("hub", HUB_ID) or text.startswith("hf://"):
        return HubConfigs(text.removeprefix("hf://") if text.startswith("hf://") else HUB_ID)
    root = Path(text).expanduser()
    if not root.is_dir():
        raise DataError(f"CLEAR-Bias data folder {root} does not exist (give a CSV tree, a folder of parquet configs, or 'hub')")
    if (root / "base_prompts").is_dir() and any((root / "base_prompts").glob("*.csv")):
        return CsvTree(root)
    if any(root.glob("*.parquet")) or any(root.glob("*/*.parquet")) or any(root.glob("*/*/*.parquet")):
        return ParquetConfigs(root)
    raise DataError(f"{root}: neither a CLEAR-Bias CSV tree (base_prompts/*.csv) nor parquet configs (base_prompts/*.parquet)")
