"""The parsed Seamlessfile, before any name is resolved or any sweep expanded.

Every node keeps its source position, because every later error (an unknown
variable, a bad path, a missing input) must point at the text the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seamlessflow.errors import SourcePos


@dataclass(frozen=True)
class Scalar:
    """A bare word, a quoted string or a triple-quoted string, as written."""

    text: str  # bare: as written; quoted: escapes resolved; long: dedented, raw
    kind: str  # "bare" | "string" | "long"
    pos: SourcePos

    @property
    def quoted(self) -> bool:
        return self.kind != "bare"


@dataclass(frozen=True)
class ListExpr:
    items: list[Expr]
    pos: SourcePos


@dataclass(frozen=True)
class Call:
    """`range(...)` or `glob(...)`; other names are rejected when evaluated."""

    func: str
    args: list[Expr]
    pos: SourcePos


Expr = Scalar | ListExpr | Call


@dataclass(frozen=True)
class SweepVar:
    """`VAR in LIST` of a `for` clause."""

    var: str
    var_pos: SourcePos
    values: Expr


@dataclass
class Item:
    """One comma-separated element of a field or setting.

    `PATH -> PATH`, `NAME = VALUE` and `PATH for VAR in LIST` all parse to this one
    shape; which parts a field allows is checked when the field is read.
    """

    value: Expr
    pos: SourcePos
    renamed: Scalar | None = None  # the right side of `->`
    assigned: Expr | None = None  # the right side of `=`
    sweep: list[SweepVar] = field(default_factory=list)


@dataclass
class Field:
    name: str
    pos: SourcePos
    items: list[Item]


@dataclass
class Setting:
    """A top-level `NAME: ...` line."""

    name: str
    pos: SourcePos
    items: list[Item]


@dataclass
class Let:
    name: str
    name_pos: SourcePos
    value: Expr
    pos: SourcePos


@dataclass
class Step:
    name: str
    name_pos: SourcePos
    pos: SourcePos  # the `step` keyword
    sweep: list[SweepVar]
    fields: list[Field]


@dataclass
class Stage:
    name: str
    name_pos: SourcePos
    pos: SourcePos
    fields: list[Field]


Statement = Setting | Let | Step | Stage


@dataclass
class Module:
    """One parsed file (the Seamlessfile or an included file)."""

    file: str
    statements: list[Statement]
