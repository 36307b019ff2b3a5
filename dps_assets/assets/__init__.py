"""The exchange's assets and asset checks, partitioned by fiscal quarter: the sending half
(sending, sending_checks), DPS's answer and IMPACT's sources (receiving, receiving_checks), the
matching and the reports (reports), and their delivery (report_delivery)."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Features these assets rely on are marked beta/preview upstream; dagster and dagster-pandera are
# pinned together, so the warnings say nothing an operator can act on. Set before any asset
# module is imported, since the warnings are raised when the decorators run.
for _category, _message in ((BetaWarning, "Function `pandera_schema_to_dagster_type`"),
                            (PreviewWarning, "Specifying a partitions_def on an AssetCheckSpec"),
                            (BetaWarning, "Parameter `backfill_policy`")):
    warnings.filterwarnings("ignore", category=_category, message=_message)
