"""The embedded stack as the end-to-end tests run it: a folder holding a copy of the session's
synthetic data, DPS answering within a second, and the configuration file pointing at it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from dps_assets.embedded.stack import EmbeddedStack, StackLayout, StackSettings, write_stack_config


def stack_with_data(base: Path, embedded_data: Path, password: str,
                    today: date) -> tuple[StackLayout, StackSettings]:
    layout = StackLayout(base)
    shutil.copytree(embedded_data, layout.data)
    return layout, StackSettings(sftp_password=password, dps_delay_s=1, dps_write_pause_s=0.1, today=today)


def stack_config(layout: StackLayout, stack: EmbeddedStack) -> Path:
    """The pipeline's configuration for the running `stack` (`dps_config.yml` in its folder)."""
    return write_stack_config(layout, stack.sftp_port, stack.smtp_port, layout.base / "dps_config.yml")
