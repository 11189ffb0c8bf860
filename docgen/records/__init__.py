"""Records: load (YAML with positions) → check (schemas, cross-record rules) → model; and the commands that rewrite records."""
