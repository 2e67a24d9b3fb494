"""Pure functions of agglomeration analysis: no Dagster, no file or network I/O."""
