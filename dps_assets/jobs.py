"""Jobs over the asset graph: the sending half and the receiving half of a quarter."""

from dagster import AssetSelection, define_asset_job

from dps_assets.partitions import fiscal_quarter_partitions

SEND_GROUP = "to_dps"

send_to_dps_job = define_asset_job(
    name="send_to_dps",
    selection=AssetSelection.groups(SEND_GROUP),
    partitions_def=fiscal_quarter_partitions,
    description="Export the quarter's children, write the files, upload to DPS, archive.",
)
