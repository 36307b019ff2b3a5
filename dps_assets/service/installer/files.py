"""Writing a site's files and folders idempotently: each is made only if missing or different,
its mode and owner set to what it should be, and every change is recorded (a second run records
none). A file the operator edits (a configuration, a secret) is never overwritten."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dps_assets.service.units import under

Owner = Literal["root", "service", "root:service"]


@dataclass
class Site:
    """The host's file system under `root` (`/`, or a test's folder). `service` is the service
    user's (uid, gid); owners are set only when `chown` is true (the installer runs as root and
    the user exists)."""

    root: Path
    service: tuple[int, int] | None
    chown: bool
    changes: list[str] = field(default_factory=list)

    def path(self, host_path: str) -> Path:
        return under(self.root, host_path)

    def host(self, path: Path) -> str:
        """The host path of a path under the root (what the operator types)."""
        return "/" + str(path.relative_to(self.root)).removeprefix(".")

    def changed(self, what: str) -> None:
        self.changes.append(what)
        print(f"  {what}", flush=True)

    def ids(self, owner: Owner) -> tuple[int, int]:
        if owner == "root" or self.service is None:
            return (0, 0)
        return (0, self.service[1]) if owner == "root:service" else self.service

    def settle(self, path: Path, mode: int, owner: Owner, new: bool = False) -> None:
        """Give a file or folder its mode and (as root) its owner; said unless it is `new`."""
        info = path.lstat()
        if stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)
            if not new:
                self.changed(f"mode {mode:04o}: {self.host(path)}")
        if self.chown and (info.st_uid, info.st_gid) != self.ids(owner):
            os.chown(path, *self.ids(owner), follow_symlinks=False)
            if not new:
                self.changed(f"owner {owner}: {self.host(path)}")

    def folder(self, host_path: str, mode: int = 0o755, owner: Owner = "root") -> Path:
        """A folder; missing parents are made root's, 0755."""
        path = self.path(host_path)
        missing = [p for p in (path, *path.parents) if not p.exists() and p.is_relative_to(self.root)]
        for parent in reversed(missing[1:]):
            parent.mkdir(mode=0o755)
            self.settle(parent, 0o755, "root", new=True)
            self.changed(f"created {self.host(parent)}/")
        if missing:
            path.mkdir(mode=mode)
            self.changed(f"created {self.host(path)}/ ({mode:04o} {owner})")
        self.settle(path, mode, owner, new=bool(missing))
        return path

    def file(self, host_path: str, content: bytes, mode: int = 0o644, owner: Owner = "root",
             replace: bool = True) -> Path:
        """A file holding `content`. An existing one is replaced if it differs and `replace` is
        true (the shipped product: units, workspace), else kept as it is (the site's own)."""
        path = self.path(host_path)
        new = not path.exists()
        if new:
            if not path.parent.exists():
                self.folder(str(Path(host_path).parent))
            write(path, content, mode)
            self.changed(f"created {host_path} ({mode:04o} {owner})")
        elif replace and path.read_bytes() != content:
            write(path, content, mode)
            self.changed(f"updated {host_path}")
        self.settle(path, mode, owner, new)
        return path

    def tree(self, source: Path, files: Iterable[Path], host_folder: str) -> None:
        """Copy `files` (relative to `source`) into `host_folder` (root's; executables 0755,
        others 0644), and remove the files there that are no longer shipped."""
        target = self.folder(host_folder)
        shipped = set()
        for relative in files:
            shipped.add(relative)
            executable = os.access(source / relative, os.X_OK)
            for parent in reversed(relative.parents[:-1]):
                self.folder(f"{host_folder}/{parent}")
            self.file(f"{host_folder}/{relative}", (source / relative).read_bytes(),
                      0o755 if executable else 0o644)
        managed = {relative.parts[0] for relative in shipped}
        for present in sorted(target.rglob("*"), reverse=True):
            relative = present.relative_to(target)
            if relative.parts[0] not in managed or relative in shipped:
                continue
            if present.is_dir() and not present.is_symlink():
                if not any(present.iterdir()):
                    present.rmdir()
                    self.changed(f"removed {self.host(present)}/ (no longer shipped)")
            else:
                present.unlink()
                self.changed(f"removed {self.host(present)} (no longer shipped)")


def write(path: Path, content: bytes, mode: int) -> None:
    """Write atomically (a reader never sees half a file), with `mode` from the start."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
