"""Reports of a run, all rendered from one result model (summary.json)."""
