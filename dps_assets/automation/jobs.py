"""Jobs over the asset graph: the sending half and the receiving half of a quarter (partitioned
by fiscal quarter, as the assets they select are)."""

from dagster import AssetSelection, define_asset_job

from dps_assets.resources.local_files import FROM_DPS, TO_DPS

send_to_dps_job = define_asset_job(
    name="send_to_dps",
    selection=AssetSelection.groups("to_dps"),
    description="Sends a quarter to DPS: exports the children in conservatorship, writes the "
    "export workbook and DPS's text file, uploads the text file to DPS and archives both.",
)

receive_from_dps_job = define_asset_job(
    name="receive_from_dps",
    selection=AssetSelection.groups("from_dps", "impact", "reports", "delivery"),
    description="Receives DPS's answer for a quarter: checks it, matches it with IMPACT's runaway "
    "events, writes and emails the reports, and archives DPS's files.",
)


# Which half of the exchange (its folder under logs/ and archive/) a job's runs belong to.
HALF_OF_JOB = {send_to_dps_job.name: TO_DPS, receive_from_dps_job.name: FROM_DPS}
# The assets of the sending half, for runs of the asset graph that no job names.
SENDING_ASSETS = frozenset({"dps_export", "dps_export_rejected", "dps_export_files", "dps_submission"})

refresh_history_job = define_asset_job(
    name="refresh_quarterly_history",
    selection=AssetSelection.groups("history"),
    description="Count the figures of every delivered quarter not yet counted into the history "
    "across quarters, and write its workbook and Power BI CSV (of no quarter: a job of its own).",
)
