"""A resource built from its configuration sections: the one place config keys become fields.

Each setting is defined once, in the configuration schema (`config/schema.py`): its default and
its checks, which run when the file loads and name the file and the key. A resource declares the
fields it takes, with a description for the Dagster UI and no default. `from_config` hands a
section's values over unchanged, except that a secret's key `<name>_env` (naming an environment
variable) becomes the field `<name>` holding `EnvVar(<variable>)`, which Dagster reads when a run
starts (None when the configuration names no variable). Keys and fields must match one to one,
so a setting added on one side only fails as soon as the resources are built."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

from dagster import ConfigurableResource, EnvVar
from pydantic import BaseModel

R = TypeVar("R", bound=ConfigurableResource)

SECRET_SUFFIX = "_env"


def from_config(resource: type[R], *sections: BaseModel, rename: Mapping[str, str] | None = None,
                leave_out: Collection[str] = (), **values: object) -> R:
    """`resource` with the settings of `sections`. `rename` maps a key to a field of another name
    (a resource fed by several sections: `sql.export` is `export_sql`); `leave_out` names keys
    that are not settings of this resource (`email.transport` picks the class); `values` sets
    fields directly, over the configuration's (a test's plain password)."""
    rename = rename or {}
    settings: dict[str, object] = {}
    for section in sections:
        for key, value in section.model_dump().items():
            if key in leave_out:
                continue
            field, value = _field_and_value(rename.get(key, key), value)
            if field in settings:
                raise TypeError(f"{resource.__name__}: two configuration keys give field {field!r}")
            settings[field] = value
    settings.update(values)
    fields = set(resource.model_fields)
    if set(settings) != fields:
        raise TypeError(f"{resource.__name__}: configuration keys and resource fields differ: "
                        f"no field for {sorted(set(settings) - fields)}, "
                        f"no key for {sorted(fields - set(settings))}")
    return resource(**settings)


def _field_and_value(key: str, value: object) -> tuple[str, object]:
    if key.endswith(SECRET_SUFFIX):
        return key.removesuffix(SECRET_SUFFIX), EnvVar(value) if value else None
    return key, list(value) if isinstance(value, tuple) else value
