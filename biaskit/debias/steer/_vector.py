"""A fitted steering vector on disk: the per-layer directions (``.npz``) beside their provenance (``.json``).

``vectors[l]`` is the mean activation difference, counter-stereotype minus stereotype, at the
output of decoder block ``l``; ``scales[l]`` is the mean norm of that block's output on the fitting
texts. Applied at strength ``s``, block ``l`` gets ``s * scales[l] * vectors[l] / |vectors[l]|``:
strength 1 moves the residual stream by one typical activation norm, whatever the model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from biaskit.errors import ConfigError, DataError

log = logging.getLogger(__name__)


class FitSplit(BaseModel):
    """Which prompts the vector was fitted on, and how they were chosen."""

    unit: str = "CLEAR-Bias base prompt id"
    seed: int
    fit_share: float
    fit_ids: list[str]
    held_out_ids: list[str]


class Provenance(BaseModel):
    """What a steering vector was fitted from; stored as JSON beside the vectors."""

    model: str
    model_path: str
    model_fingerprint: str | None
    hidden_size: int
    layers: int  # decoder blocks; one vector per block
    default_layer: int
    pairs: int  # contrastive pairs averaged
    pair_kinds: list[str]
    consistency: list[float]  # per layer: mean cosine of the pair differences with their mean
    split: FitSplit
    created: str
    biaskit_version: str


class SteeringVector(BaseModel):
    """Directions and scales per layer with their provenance (``vectors`` is layers x hidden size)."""

    model_config = {"arbitrary_types_allowed": True}
    vectors: np.ndarray
    scales: np.ndarray
    provenance: Provenance

    def direction(self, layer: int | None = None) -> np.ndarray:
        """The vector to add at ``layer`` for strength 1 (scaled to that layer's mean activation norm)."""
        index = self.provenance.default_layer if layer is None else layer
        if not -len(self.vectors) <= index < len(self.vectors):
            raise ConfigError(f"steering layer {index} is out of range: the vector was fitted on {len(self.vectors)} layers")
        vector = self.vectors[index]
        norm = float(np.linalg.norm(vector))
        return vector / norm * float(self.scales[index]) if norm > 0 else vector

    def overlap(self, ids: Sequence[str]) -> list[str]:
        """Of ``ids``, those the vector was fitted on."""
        fitted = set(self.provenance.split.fit_ids)
        return [i for i in ids if i in fitted]

    def check_disjoint(self, ids: Sequence[str], allow: bool = False, source: str = "steering vector") -> None:
        """Refuse (or with ``allow``, warn about) evaluating on prompts the vector was fitted on."""
        shared = self.overlap(ids)
        if not shared:
            return
        message = (f"{source}: {len(shared)} of the {len(ids)} evaluated prompts were used to fit it (e.g. {', '.join(shared[:3])}); "
                   "evaluate on its held-out prompts (provenance split.held_out_ids) or refit with another split")  # fmt: skip
        if not allow:
            raise ConfigError(message + "; set allow_fit_overlap: true to evaluate anyway")
        log.warning(message)

    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``<path>.npz`` and ``<path>.json`` (a given .npz/.json suffix is replaced); returns both paths."""
        stem = Path(path).with_suffix("") if Path(path).suffix in (".npz", ".json") else Path(path)
        stem.parent.mkdir(parents=True, exist_ok=True)
        arrays, meta = stem.with_suffix(".npz"), stem.with_suffix(".json")
        np.savez(arrays, vectors=self.vectors.astype(np.float32), scales=self.scales.astype(np.float32))
        meta.write_text(json.dumps(self.provenance.model_dump(), indent=2) + "\n", encoding="utf-8")
        return arrays, meta


def load_vector(path: str | Path) -> SteeringVector:
    """Read a vector saved by :meth:`SteeringVector.save` (``path`` with or without .npz/.json)."""
    stem = Path(path).expanduser().with_suffix("") if Path(path).suffix in (".npz", ".json") else Path(path).expanduser()
    arrays, meta = stem.with_suffix(".npz"), stem.with_suffix(".json")
    for file in (arrays, meta):
        if not file.is_file():
            raise DataError(f"steering vector {str(path)!r}: {file} is missing; expected the .npz and .json that "
                            "`biaskit debias steer-fit --out` writes")  # fmt: skip
    try:
        provenance = Provenance.model_validate_json(meta.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise DataError(f"{meta}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    with np.load(arrays) as data:
        if "vectors" not in data or "scales" not in data:
            raise DataError(f"{arrays}: expected arrays 'vectors' and 'scales'")
        vectors, scales = data["vectors"], data["scales"]
    if vectors.shape != (provenance.layers, provenance.hidden_size) or scales.shape != (provenance.layers,):
        raise DataError(f"{arrays}: vectors {vectors.shape} / scales {scales.shape} do not match {meta} "
                        f"({provenance.layers} layers x {provenance.hidden_size})")  # fmt: skip
    return SteeringVector(vectors=vectors, scales=scales, provenance=provenance)
