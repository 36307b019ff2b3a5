"""What every section of `dps_config.yml` shares: unknown keys are refused, values are frozen,
and no text value may be blank."""

from __future__ import annotations

from typing import Annotated, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from dps_assets.config.values import not_blank

EnvVarName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_empty_text(cls, value: object, info: ValidationInfo) -> object:
        assert info.field_name is not None  # a field validator's
        if get_origin(cls.model_fields[info.field_name].annotation) is Literal:
            return value  # one of the listed values (line_ending "\r\n" is not blank)
        return not_blank(value)
