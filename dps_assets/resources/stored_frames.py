"""Where Dagster keeps what one step hands the next (frames of children's records, the matching,
the written workbooks' descriptions): pickles in the private work folder, one file per asset and
partition, `<base_dir>/<asset key>/<partition key>` (the layout FilesystemIOManager uses, which
`LocalFilesResource.remove_working_copies` deletes after delivery).

Unlike FilesystemIOManager it adds no `path` entry to a materialisation's metadata: an analyst
reading a report's materialisation sees the workbook's path, not a second one pointing at a
pickle nobody should open. Files are 0600 and written whole or not at all, folders 0700."""

from __future__ import annotations

import pickle
from pathlib import Path

from dagster import ConfigurableIOManager, InputContext, OutputContext
from pydantic import Field

from dps_assets.core.privacy.private_files import private_folder, write_private


class StoredFramesIOManager(ConfigurableIOManager):
    """Pickles each output under `base_dir`; records nothing in the metadata."""

    base_dir: str = Field(description="the folder of the stored outputs (under the work root)")

    def _path(self, context: OutputContext | InputContext) -> Path:
        if context.has_asset_key:
            parts = list(context.asset_key.path)
            if context.has_asset_partitions:
                parts.append(context.asset_partition_key)
        else:  # an op's output, or the input it feeds
            output = context if isinstance(context, OutputContext) else context.upstream_output
            assert output is not None  # an input fed by an op's output
            parts = list(output.get_identifier())
        for part in parts:
            if not part or "/" in part or part in (".", ".."):
                raise ValueError(f"stored output: {part!r} cannot be a path component")
        return Path(self.base_dir, *parts)

    def handle_output(self, context: OutputContext, obj: object) -> None:
        path = self._path(context)
        private_folder(path.parent)
        write_private(path, pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))

    def load_input(self, context: InputContext) -> object:
        return pickle.loads(self._path(context).read_bytes())
