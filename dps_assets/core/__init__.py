"""The exchange's business logic: pure functions over pandas frames and bytes, no Dagster."""
