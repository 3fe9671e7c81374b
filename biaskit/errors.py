"""The one error type users see: a message they can act on, printed as one line by the CLI."""


class BiaskitError(Exception):
    """A problem with the user's input or environment (bad option, missing file, unreachable server).

    The message names what is wrong (file, row, option) and what is expected; the CLI prints it
    as a single line and exits non-zero, without a traceback.
    """


class ConfigError(BiaskitError):
    """An option or configuration value is invalid."""


class DataError(BiaskitError):
    """A data file is missing, unreadable or malformed."""


class EngineError(BiaskitError):
    """A model or serving endpoint could not be loaded or reached."""
