"""The names of docgen's temporary files: written beside a target, then renamed over it
(`writer.write_atomic`). Kept apart so that the listing of records/ (`records.tree`), which runs
before anything else is imported, can notice one left by a killed run without importing the writer."""

TEMP_PREFIX = ".docgen-"
TEMP_SUFFIX = ".tmp"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)
