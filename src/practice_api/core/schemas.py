"""Base classes for request and response models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    field_validator,
    model_validator,
)

_STRICT_SCALARS = (bool, int, float)


def _is_strict_scalar(annotation: Any) -> bool:
    return annotation in _STRICT_SCALARS or any(
        arg in _STRICT_SCALARS for arg in get_args(annotation)
    )


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    return value


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, strings are trimmed and must be storable
    text, and booleans and numbers are strict (``0`` is not ``false``, ``"3"`` is not 3), so
    the body means exactly what the published schema says."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for field in cls.model_fields.values():
            if _is_strict_scalar(field.annotation) and not any(
                isinstance(item, Strict) for item in field.metadata
            ):
                field.metadata.append(Strict())
                changed = True
        if changed:
            cls.model_rebuild(force=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _check_text(value)


def _null_only_where_allowed_in_schema(schema: dict[str, Any], cls: type) -> None:
    """Document what the validator enforces: only ``nullable_fields`` accept ``null``."""
    nullable: frozenset[str] = getattr(cls, "nullable_fields", frozenset())
    for name, prop in schema.get("properties", {}).items():
        variants = prop.get("anyOf")
        if name in nullable or not variants:
            continue
        rest = [variant for variant in variants if variant != {"type": "null"}]
        prop.pop("default", None)
        if len(rest) == 1:
            del prop["anyOf"]
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest


class PatchModel(InputModel):
    """Partial updates: an absent field stays as it is; ``null`` clears only nullable fields."""

    model_config = ConfigDict(json_schema_extra=_null_only_where_allowed_in_schema)
    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_allowed(self) -> PatchModel:
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable_fields:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$"
)


def _rfc3339_text(value: Any) -> Any:
    # Pydantic would also read numbers as Unix times; the published format is RFC 3339 only.
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-01-31T09:00:00Z")
    return value


# A date-time given in a query string or form: RFC 3339 text, read as UTC when it has no zone.
QueryDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=dt.UTC)),
]


def _iso_date_text(value: Any) -> Any:
    # Pydantic would also read numbers ("0") as Unix times; the published format is a date.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date, e.g. 2026-01-31")
    return value


# A date given in a query string or form: YYYY-MM-DD only.
QueryDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]
