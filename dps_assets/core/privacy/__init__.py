"""What of children's data may be written where: the exchange's errors, which never quote a value
(errors), a value described by its shape (shapes), files only their owner may read (private_files),
and what Dagster may record of a failed step (step_failures)."""
