"""An office's work around the records: init, rosters and platform files in and out, git hooks."""
