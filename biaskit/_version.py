"""biaskit's version, in a leaf module: anything may import it without importing the package facade."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("biaskit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
