"""One module per breaking change of the chart; each defines `CHANGE` (see migrator.changes.registry)."""
