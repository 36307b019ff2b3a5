"""Reading `dps_config.yml` into a plain mapping, and naming what is wrong with it.

A configuration file may hold a secret typed in by mistake (a password under a misspelt key, or
on a line YAML cannot parse), so no error repeats the file's text or a value from it: errors
give the file, the line and column or the key, and the kind of problem. Key names are repeated
(they say where the mistake is), cut short and with unprintable characters escaped."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from dps_assets.core.privacy.errors import ExchangeError

_MAX_KEY_CHARS = 60
# A quoted piece PyYAML may keep in a message: a token's name (`'<block end>'`) or one
# character (`'\t'`, `':'`). Anything longer quoted (a tag, an alias, an anchor) is the file's text.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_KEEPABLE = re.compile(r"^<[a-z ]+>$|^.$|^\\.$|^\\x[0-9a-f]{2}$|^\\u[0-9a-f]{4}$")


class ConfigError(ExchangeError, ValueError):
    """The configuration file is missing, unreadable or invalid."""


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    def __init__(self, key: object, first: yaml.Mark, again: yaml.Mark):
        super().__init__(None, None, "duplicate key", again)
        self.key, self.first, self.again = key, first, again


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last
    one silently, so a second `sftp:` section would replace the first). Merge keys (`<<`) may
    still be overridden: that is what they are for."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # an unhashable key: the safe loader reports it itself
                continue
            if first is not key_node:
                raise _DuplicateKeyError(key, first.start_mark, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path) -> dict:
    """The file's top-level mapping, or a ConfigError naming the file, line and column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    text = _decoded(path, data)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKeyError as exc:
        again, first = exc.again, exc.first
        raise ConfigError(f"{path}, line {again.line + 1}, column {again.column + 1}: key "
                          f"'{key_name(exc.key)}' is given twice at the same level (first at line "
                          f"{first.line + 1}, column {first.column + 1}); a later one would "
                          "silently replace the first") from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_marked_yaml_error(path, exc)) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_and_column(text, exc.position)
        raise ConfigError(f"{path}, line {line}, column {column}: not valid YAML: character "
                          f"U+{exc.character:04X} is not allowed in a YAML file") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp that is no date (`2025-02-30`): the constructor's own error.
        raise ConfigError(f"{path}: not valid YAML: a value cannot be read "
                          f"({type(exc).__name__})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return raw


def _decoded(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError(f"{path}, line {line}, column {column}: not valid UTF-8 "
                          "(save the file as UTF-8)") from None
    return text.removeprefix("\ufeff")


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


def _marked_yaml_error(path: Path, exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's message without the snippet of the offending line it normally prints."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
    text = f"{where}: not valid YAML: {_without_quotes(exc.problem or exc.context or 'cannot be parsed')}"
    if exc.context and exc.problem:
        text += f" ({_without_quotes(exc.context)}"
        cmark = exc.context_mark
        if cmark and mark and (cmark.line, cmark.column) != (mark.line, mark.column):
            text += f" started at line {cmark.line + 1}, column {cmark.column + 1}"
        text += ")"
    return text


def _without_quotes(text: str) -> str:
    """PyYAML's words with any quoted file text (a tag, an alias) blanked to `'…'`."""
    def keep_or_blank(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if _KEEPABLE.match(inner) else "'…'"

    return _QUOTED.sub(keep_or_blank, text.splitlines()[0] if text else "")


def key_name(key: object) -> str:
    """A key as it may appear in a message: unprintable characters escaped, cut short."""
    text = str(key)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= _MAX_KEY_CHARS else f"{text[:_MAX_KEY_CHARS]}…"


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per problem, `section.key: problem`. Pydantic's own rendering quotes each
    `input_value`; this never does, and blanks a value that a message repeats."""
    lines = [f"{path}: {exc.error_count()} problem(s) in the configuration:"]
    for error in exc.errors(include_url=False, include_context=False, include_input=True):
        key = ".".join(key_name(part) for part in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = _without_input(error["msg"], error.get("input"))
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def _without_input(message: str, value: object) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= 4 and text in message:  # shorter repeats are words of the message
            message = message.replace(text, "…")
    return message.splitlines()[0] if message else message
