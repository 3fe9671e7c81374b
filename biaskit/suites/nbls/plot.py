"""The NBLS figure: the model's share of women against the BLS share, one point per occupation."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from biaskit.results.folder import write_member


def plot_shares(frames: dict[str, pd.DataFrame], path: Path, title: str, n_labels: int = 8) -> Path:
    """One panel per condition ("plain", "grounded"): model vs BLS % women, the y = x line, and the
    ``n_labels`` occupations farthest from it labelled. Writes a PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(frames), figsize=(6.2 * len(frames), 6), squeeze=False)
    for ax, (condition, frame) in zip(axes[0], frames.items()):
        frame = frame.dropna(subset=["model_women"])
        gap = (frame["model_women"] - frame["bls_women"]).abs()
        ax.plot([0, 100], [0, 100], color="0.5", linestyle="--", linewidth=1, label="model = BLS")
        ax.scatter(frame["bls_women"], frame["model_women"], s=12, alpha=0.6, color="tab:blue", label="occupation")
        outliers = frame.loc[gap.nlargest(n_labels).index].sort_values("model_women")
        for rank, (_, row) in enumerate(outliers.iterrows()):
            # fan the labels out vertically (outliers cluster) and keep them inside the axes
            right = row["bls_women"] > 50
            ax.annotate(
                _short(row["occupation"]),
                (row["bls_women"], row["model_women"]),
                xytext=(-40 if right else 40, 18 * (rank - (len(outliers) - 1) / 2) + (-60 if row["model_women"] > 50 else 60)),
                textcoords="offset points",
                ha="right" if right else "left",
                fontsize=7,
                arrowprops={"arrowstyle": "-", "color": "0.4", "linewidth": 0.6},
            )
        ax.set(xlim=(0, 100), ylim=(0, 100), xlabel="BLS: % women employed", ylabel="model: % women pictured")
        ax.set_title(f"{condition} (mean |gap| {gap.mean():.1f} points, n={len(frame)})", fontsize=10)
        ax.set_aspect("equal")
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    image = io.BytesIO()
    fig.savefig(image, dpi=120, format="png")
    plt.close(fig)
    write_member(path, image.getvalue())  # through a temporary file: never through a link
    return path


def _short(title: str, width: int = 32) -> str:
    return title if len(title) <= width else title[: width - 1] + "…"
