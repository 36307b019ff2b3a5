"""The exchange's assets, every one partitioned by fiscal quarter."""
