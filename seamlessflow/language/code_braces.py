"""`{name}` in a step's code: refused where it would silently stay text.

Code is never interpolated, yet a Snakemake user writes `awk -v k={k}` by reflex and
gets `{k}` passed through literally: every instance runs, nothing fails, every result
is wrong. So a `{name}` that names a variable of the step (a sweep variable, a param,
a metavar or a let) is an error, with the spelling that does reach the value; other
braces (awk's `{print $1}`, bash's `${k}` and `{a,b}`) are left alone. `{{name}}` is the
explicit escape: the command gets the literal `{name}`.

In Python code only plain string literals are looked at: an f-string or a string
given to `.format` already means what Python means by `{name}`, and a set display
`{name}` is Python too.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection
from typing import NamedTuple

from seamlessflow.errors import SourcePos

_MENTION = re.compile(r"(?<![{$])\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_ESCAPE = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


class Mention(NamedTuple):
    name: str
    offset: int  # in the code, of the `{`


def read_code(code: str, language: str, names: Collection[str]) -> tuple[str, list[Mention]]:
    """The code as the command gets it (`{{name}}` of a step variable made `{name}`),
    and the `{name}` mentions of step variables that would stay literal text."""
    spans = [(0, len(code))] if language == "bash" else _plain_strings(code)
    mentions = [Mention(m.group(1), m.start()) for start, end in spans
                for m in _MENTION.finditer(code, start, end) if m.group(1) in names]
    out, last = [], 0
    for start, end in spans:
        for m in _ESCAPE.finditer(code, start, end):
            if m.group(1) in names:
                out.append(code[last:m.start()] + "{" + m.group(1) + "}")
                last = m.end()
    out.append(code[last:])
    return "".join(out), mentions


def _plain_strings(code: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the Python string literals whose braces are plain text:
    not f-strings, not followed by `.format(`. Code that does not tokenize is left to
    fail when it runs, with Python's own message."""
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        return []
    spans = []
    for index, token in enumerate(tokens):
        if token.type != tokenize.STRING:
            continue
        prefix = token.string[:len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
        if "f" in prefix.lower():
            continue
        after = tokens[index + 1:index + 3]
        if len(after) == 2 and after[0].string == "." and \
                after[1].string in ("format", "format_map"):
            continue
        spans.append((starts[token.start[0] - 1] + token.start[1],
                      starts[token.end[0] - 1] + token.end[1]))
    return spans


def mention_pos(code: str, mention: Mention, string_pos: SourcePos, source: str) -> SourcePos:
    """Where `mention` stands in the Seamlessfile. The code is the string at
    `string_pos` with escapes resolved and indentation removed, neither of which makes
    or breaks a `{name}`: the n-th one in the code is the n-th in the source from there."""
    nth = sum(1 for m in _MENTION.finditer(code, 0, mention.offset))
    lines = source.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[:string_pos.line - 1]) + string_pos.column - 1
    for index, m in enumerate(_MENTION.finditer(source, offset)):
        if index == nth:
            line = source.count("\n", 0, m.start()) + 1
            column = m.start() - (source.rfind("\n", 0, m.start()) + 1) + 1
            return SourcePos(string_pos.file, line, column)
    return string_pos
