"""The Dagster instance as the exchange's ledger, and the locks that make its guards hold."""
