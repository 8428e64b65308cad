"""Indentation and line continuation, between lark's lexer and its parser.

lark's own Indenter asserts on an unmatched `]` and reports a bad dedent without a
position; this one turns both into positioned errors, refuses tabs in indentation
(SEAMLESSFILE.md), and joins a line that ends with a comma to the next one, which
is how a value list continues over several lines. It also refuses brackets nested
deeper than MAX_NESTING: building the tree and evaluating it recurse once per level,
and a few hundred levels would end in a RecursionError instead of a message.
"""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token
from lark.lark import PostLex

OPEN = frozenset({"LSQB", "CALL"})
CLOSE = frozenset({"RSQB", "RPAR"})
MAX_NESTING = 50  # lists and calls inside each other; real workflows need two or three


class LayoutProblem(Exception):
    """Bad layout (indentation, tabs, nesting), raised from inside the token stream; the
    parser front end gives it its file."""

    def __init__(self, line: int, column: int, message: str, hint: str | None = None):
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint


class Postlex(PostLex):
    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        depth = 0  # open brackets: newlines inside them are plain whitespace
        previous: Token | None = None
        last: Token | None = None
        for token in stream:
            if last is None and token.type != "_NL" and (token.column or 1) > 1:
                # Indentation after a newline is checked below; the first line has none before it.
                raise LayoutProblem(token.line or 1, 1, "unexpected indentation",
                                         "top-level lines start in the first column")
            last = token
            if token.type == "_NL":
                if depth > 0 or (previous is not None and previous.type == "COMMA"):
                    continue
                yield token
                yield from _indentation(token, levels)
            else:
                if token.type in OPEN:
                    depth += 1
                    if depth > MAX_NESTING:
                        raise LayoutProblem(
                            token.line or 1, token.column or 1,
                            f"lists nested more than {MAX_NESTING} deep",
                            "flatten the value")
                elif token.type in CLOSE:
                    depth = max(depth - 1, 0)
                yield token
            previous = token
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos("_DEDENT", "", last) if last else Token("_DEDENT", "")


def _indentation(newline: Token, levels: list[int]) -> Iterator[Token]:
    indent = newline.rsplit("\n", 1)[1]
    line = (newline.end_line or newline.line or 1)
    if "\t" in indent:
        raise LayoutProblem(line, indent.index("\t") + 1, "a tab in indentation",
                                 "indent with spaces only")
    width = len(indent)
    if width > levels[-1]:
        levels.append(width)
        yield Token.new_borrow_pos("_INDENT", indent, newline)
        return
    closed = width
    while width < levels[-1]:
        closed = levels.pop()
        yield Token.new_borrow_pos("_DEDENT", indent, newline)
    if width != levels[-1]:
        raise LayoutProblem(
            line, width + 1,
            f"this line is indented by {width} spaces, which matches no enclosing block",
            f"indent it by {closed} spaces to continue the block above, or by {levels[-1]} "
            "to end it")
