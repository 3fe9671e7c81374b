"""biaskit: measure social bias in language models and remove it at inference time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("biaskit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

from biaskit.errors import BiaskitError

__all__ = ["BiaskitError", "__version__"]
