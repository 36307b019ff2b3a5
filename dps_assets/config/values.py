"""The shapes a configuration value must have beyond its type: values that parse but would be
dangerous (an upload others can read, a file name or a path that climbs out of its folder, DPS's
pickup folder used as its drop folder) are refused when the configuration loads.

The messages say what is wrong and never repeat the value: a secret may sit under a wrong key."""

from __future__ import annotations

import posixpath
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from dps_assets.core.exchange.quarters import FiscalQuarter

_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
# Characters a text-file field can hold (names: letters, space, hyphen, apostrophe; ids, codes
# and dates: letters and digits), so a delimiter among them would split a field.
_FIELD_CHARACTERS = "letter, digit, space, hyphen or apostrophe"


def not_blank(value: object) -> object:
    """Every text value: an empty one is a mistake (`archive_root: ""` would be the config's
    own folder), and a NUL character cannot be part of a name, a path or an address."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
    return value


def _file_name(value: str) -> str:
    if "/" in value or "\\" in value or ".." in value:
        raise ValueError("must be a plain file name: no '/', '\\' or '..'")
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be a plain file name: no control characters or surrounding spaces")
    return value


def _plain_path(value: str) -> str:
    # `archive_root: /srv/dps/../../etc` or `from_folder: /FROM_DFPS/../OTHER` reach a folder the
    # path does not name. A backslash counts as a separator too: DPS's server may be a Windows one.
    if ".." in re.split(r"[/\\]", value):
        raise ValueError("must be a plain path: no '..' component (a path that climbs out of a folder)")
    return value


def _email_address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError("is not an email address (expected the form name@host.domain, "
                         "without a display name)")
    return value


def _host(value: str) -> str:
    if not value.strip() or any(c.isspace() or c in "/@" for c in value) or not value.isprintable():
        raise ValueError("must be a host name or IP address (no spaces, '/' or '@')")
    return value


def private_file_mode(value: str | None) -> str | None:
    if value is not None and int(value, 8) & ~0o600:
        raise ValueError("must not be wider than 0600: others on DPS's server could read the "
                         "children's records (0600 lets only the owner read and write)")
    return value


def _delimiter(value: str) -> str:
    if len(value) != 1 or not value.isprintable():
        raise ValueError("must be exactly one printable character")
    if value.isalnum() or value in " -'":
        raise ValueError(f"must not be a {_FIELD_CHARACTERS}: fields can contain those")
    return value


def _fiscal_quarter(value: object) -> object:
    if isinstance(value, FiscalQuarter):
        return value
    if isinstance(value, str):
        try:
            return FiscalQuarter.from_label(value)
        except ValueError:
            pass  # refused below, in words that do not repeat the value
    raise ValueError("must be a fiscal quarter's label, like FY2026-Q1")


# What the reports' email says first when the agency has not worded it (`email.confidentiality_notice`).
DEFAULT_CONFIDENTIALITY_NOTICE = (
    "CONFIDENTIAL: the attached workbooks hold personal information about children in DFPS "
    "conservatorship, including their names and dates of birth. They are for the addressees' "
    "official use only: do not forward them outside DFPS or DPS, keep them only in the agency's "
    "secure locations, and delete them when they are no longer needed. If you received this "
    "email in error, tell the sender and delete it and its attachments."
)
_MAX_PREFIX_CHARS = 40
_MAX_NOTICE_CHARS = 2000


def _subject_prefix(value: str) -> str:
    # One piece of a header: a line break would start another header (or the body).
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be one line of printable text without surrounding spaces (e.g. [SECURE])")
    if len(value) > _MAX_PREFIX_CHARS:
        raise ValueError(f"must be at most {_MAX_PREFIX_CHARS} characters: it is the start of every "
                         "report email's subject")
    return value


def _notice(value: str) -> str:
    if len(value) > _MAX_NOTICE_CHARS:
        raise ValueError(f"must be at most {_MAX_NOTICE_CHARS} characters")
    if not all(line.isprintable() for line in value.splitlines()):
        raise ValueError("must be printable text (lines, no control characters)")
    return value


FileName = Annotated[str, AfterValidator(_file_name)]
PlainPath = Annotated[str, AfterValidator(_plain_path)]  # a local or remote folder or file
EmailAddress = Annotated[str, AfterValidator(_email_address)]
HostName = Annotated[str, AfterValidator(_host)]
Delimiter = Annotated[str, AfterValidator(_delimiter)]
QuarterLabel = Annotated[FiscalQuarter, BeforeValidator(_fiscal_quarter)]  # `FY2026-Q1` in the file
SubjectPrefix = Annotated[str, AfterValidator(_subject_prefix)]
NoticeText = Annotated[str, AfterValidator(_notice)]


def same_remote_folder(a: str, b: str) -> bool:
    """Whether two folders on the SFTP server are one: `/TO_DFPS/` is `/TO_DFPS`, `/a/./b` is
    `/a/b`, and case is ignored (a Windows file-transfer server does)."""
    return posixpath.normpath(a).casefold() == posixpath.normpath(b).casefold()
