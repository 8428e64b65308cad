"""The parsed Seamlessfile, before any name is resolved or any sweep expanded.

Every node keeps its source position, because every later error (an unknown
variable, a bad path, a missing input) must point at the text the user wrote.
Nodes are NamedTuples, not dataclasses, for the reason errors.py gives.
"""

from __future__ import annotations

from typing import NamedTuple

from seamlessflow.errors import SourcePos


class Scalar(NamedTuple):
    """A bare word, a quoted string or a triple-quoted string, as written."""

    text: str  # bare: as written; quoted: escapes resolved; long: dedented, raw
    kind: str  # "bare" | "string" | "long"
    pos: SourcePos
    first_line: int = 0  # the source line of the text's first line; 0: that of `pos`

    @property
    def quoted(self) -> bool:
        return self.kind != "bare"


class ListExpr(NamedTuple):
    items: list[Expr]
    pos: SourcePos


class Call(NamedTuple):
    """`range(...)` or `glob(...)`; other names are rejected when evaluated."""

    func: str
    args: list[Expr]
    pos: SourcePos


Expr = Scalar | ListExpr | Call


class SweepVar(NamedTuple):
    """`VAR in LIST` of a `for` clause."""

    var: str
    var_pos: SourcePos
    values: Expr


class Item(NamedTuple):
    """One comma-separated element of a field or setting.

    `PATH -> PATH`, `NAME = VALUE` and `PATH for VAR in LIST` all parse to this one
    shape; which parts a field allows is checked when the field is read.
    """

    value: Expr
    pos: SourcePos
    renamed: Scalar | None  # the right side of `->`
    assigned: Expr | None  # the right side of `=`
    sweep: list[SweepVar]  # the parser appends to it (parser._join_sweeps)


class Field(NamedTuple):
    name: str
    pos: SourcePos
    items: list[Item]


class Setting(NamedTuple):
    """A top-level `NAME: ...` line."""

    name: str
    pos: SourcePos
    items: list[Item]


class Let(NamedTuple):
    name: str
    name_pos: SourcePos
    value: Expr
    pos: SourcePos


class Step(NamedTuple):
    name: str
    name_pos: SourcePos
    pos: SourcePos  # the `step` keyword
    sweep: list[SweepVar]
    fields: list[Field]


class Stage(NamedTuple):
    name: str
    name_pos: SourcePos
    pos: SourcePos
    fields: list[Field]


Statement = Setting | Let | Step | Stage


class Module(NamedTuple):
    """One parsed file (the Seamlessfile or an included file)."""

    file: str
    statements: list[Statement]
