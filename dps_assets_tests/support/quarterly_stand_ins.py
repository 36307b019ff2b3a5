"""Stand-in quarterly assets, for tests that need runs and materialisations of some quarters."""

from dagster import asset

from dps_assets.assets.partitions import fiscal_quarter_partitions


@asset(partitions_def=fiscal_quarter_partitions)
def quarterly_step() -> None:
    """Materialises the quarter it runs for."""


@asset(partitions_def=fiscal_quarter_partitions)
def failing_step() -> None:
    """Fails in the quarter it runs for."""
    raise RuntimeError("planted")
