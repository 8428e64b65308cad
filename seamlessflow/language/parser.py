"""Text of one Seamlessfile -> its AST (language.ast), or a positioned syntax error.

The lark parser is built once per process and cached on disk by lark, so parsing
a small Seamlessfile costs milliseconds, which `check`, `run` and `watch` pay on
every start.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from seamlessflow.errors import Diagnostic, SourcePos, WorkflowError
from seamlessflow.language import ast
from seamlessflow.language.postlex import LayoutProblem, Postlex
from seamlessflow.language.suggest import hint as suggest_hint

# A plain path beside the package, not importlib.resources (whose import was 8 ms of
# every run that parses): the package is always installed as files.
GRAMMAR = Path(__file__).resolve().parent.parent / "grammar" / "seamlessfile.lark"
KEYWORDS = ("let", "step", "stage")

# What the user should read for each terminal the parser may expect.
_TERMINAL_NAMES = {
    "BARE": "a name or path",
    "ARG_BARE": "a value",
    "STRING": "a quoted string",
    "LONG_STRING": 'a """string"""',
    "LSQB": "'['",
    "RSQB": "']'",
    "RPAR": "')'",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "ARROW": "'->'",
    "CALL": "range(...) or glob(...)",
    "LET": "'let'",
    "STEP": "'step'",
    "STAGE": "'stage'",
    "FOR": "'for'",
    "IN": "'in'",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = GRAMMAR.read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", postlex=Postlex(),
                propagate_positions=True, maybe_placeholders=True, cache=True)


def parse(text: str, file: str) -> ast.Module:
    """Raises WorkflowError (one diagnostic: a syntax error stops the parse)."""
    if not text.endswith("\n"):
        text += "\n"
    nul = text.find("\0")
    if nul != -1:  # no path, environment variable or argument can carry it
        raise WorkflowError([Diagnostic(_position(text, nul, file), "a NUL byte",
                                        "a Seamlessfile is text: remove it")])
    try:
        tree = _parser().parse(text)
    except LayoutProblem as exc:
        raise WorkflowError([Diagnostic(SourcePos(file, exc.line, exc.column), exc.message,
                                        exc.hint)]) from None
    except UnexpectedInput as exc:
        raise WorkflowError([_syntax_diagnostic(exc, file, text)]) from None
    try:
        statements = _ToAst(file).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, _PositionedParseError):
            raise WorkflowError([Diagnostic(exc.orig_exc.pos, exc.orig_exc.message)]) from None
        raise
    return ast.Module(file, statements)


def _syntax_diagnostic(exc: UnexpectedInput, file: str, text: str) -> Diagnostic:
    expected = _expected(exc)
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        if char in "\"'":
            # An unclosed `"""` lexes as an empty "" followed by an unterminated "...
            start = exc.pos_in_stream - 2
            if start >= 0 and text[start:start + 3] == char * 3:
                return Diagnostic(SourcePos(file, exc.line, exc.column - 2),
                                  f"unterminated {char * 3}string{char * 3}",
                                  f"close it with {char * 3}")
            return Diagnostic(SourcePos(file, exc.line, exc.column), "unterminated string",
                              'close it on the same line, or use """...""" for several lines')
    unclosed = _unclosed_bracket(text, _offset(exc, text), file)
    if unclosed is not None:
        return unclosed
    if isinstance(exc, UnexpectedCharacters):
        return Diagnostic(SourcePos(file, exc.line, exc.column),
                          f"unexpected character {char!r}", _hint_for(expected))
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        line, column = token.line, token.column
        if token.type in ("_NL", "_DEDENT", "_INDENT", "$END"):
            if token.type == "_INDENT":
                line, column = token.end_line or line, (token.end_column or column)
                return Diagnostic(SourcePos(file, line, column), "unexpected indentation",
                                  "indent it like the line above; only the lines below a "
                                  "line ending in ':' are indented deeper")
            return Diagnostic(SourcePos(file, line or 1, column or 1),
                              f"unexpected end of line; expected {_listing(expected)}",
                              _hint_for(expected))
        shown = str(token)
        message = f"unexpected {shown!r}; expected {_listing(expected)}"
        hint = _hint_for(expected)
        if token.type in ("BARE", "ARG_BARE", "STRING") and "COMMA" in expected:
            hint = ("separate values with ',', and quote a value that contains spaces "
                    '(a command goes in "..." or """...""")')
        words = text.split("\n")[line - 1].split()  # lines as lark counts them
        if column > 1 and words and words[0] not in KEYWORDS:  # `stpe a:`: a misspelt keyword
            hint = suggest_hint(words[0], KEYWORDS) or hint
        return Diagnostic(SourcePos(file, line, column), message, hint)
    if isinstance(exc, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return Diagnostic(SourcePos(file, len(lines), len(lines[-1]) + 1),
                          f"unexpected end of file; expected {_listing(expected)}")
    return Diagnostic(SourcePos(file, getattr(exc, "line", 1), getattr(exc, "column", 1)),
                      "syntax error")


def _offset(exc: UnexpectedInput, text: str) -> int:
    """Where in the text the parser gave up."""
    if isinstance(exc, UnexpectedToken):
        found = exc.token.start_pos
    else:
        found = getattr(exc, "pos_in_stream", None)
    return len(text) if found is None else found


def _unclosed_bracket(text: str, end: int, file: str) -> Diagnostic | None:
    """A '[' or '(' opened on an earlier line than `end` and still open there.

    Newlines inside brackets are whitespace, so a missing ']' surfaces as an error
    lines later, at a token that is fine in itself; the bracket is the real culprit.
    Strings and comments are skipped."""
    stack: list[int] = []
    i = 0
    while i < end:
        char = text[i]
        if text.startswith(('"""', "'''"), i):
            close = text.find(text[i:i + 3], i + 3)
            i = len(text) if close == -1 else close + 3
            continue
        if char in "\"'":
            i += 1
            while i < len(text) and text[i] not in (char, "\n"):
                i += 2 if text[i] == "\\" else 1
        elif char == "#":
            i = text.find("\n", i)
            if i == -1:
                break
        elif char in "[(":
            stack.append(i)
        elif char in ")]" and stack:
            stack.pop()
        i += 1
    if not stack or "\n" not in text[stack[-1]:end]:
        return None
    start = stack[-1]
    kind = "list" if text[start] == "[" else "call"
    return Diagnostic(_position(text, start, file), f"'{text[start]}' is never closed",
                      f"close the {kind} with '{']' if kind == 'list' else ')'}'")


def _position(text: str, offset: int, file: str) -> SourcePos:
    line = text.count("\n", 0, offset) + 1
    return SourcePos(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _expected(exc: UnexpectedInput) -> set[str]:
    """The tokens that could have come next. The exception's own set is the LALR state's,
    which merges lookaheads of other contexts (a ':' after a param value); the
    interactive parser tries each token and keeps those that really fit."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        found = interactive.accepts()
    else:
        found = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or set()
    return {name for name in found if not name.startswith("__")}


def _listing(expected: set[str]) -> str:
    names = sorted({_TERMINAL_NAMES.get(name, name) for name in expected})
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _hint_for(expected: set[str]) -> str | None:
    if expected == {"COLON"} or expected == {"COLON", "FOR"}:
        return "a step, stage or setting line ends with ':'"
    if expected == {"_INDENT"}:
        return "the lines of a block are indented below the line that ends with ':'"
    return None


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


def unescape(body: str) -> str:
    """The one-line string escapes of SEAMLESSFILE.md; any other backslash stays as written."""
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def long_string(raw: str) -> str:
    """Raw, minus a newline right after the opening quotes and a last whitespace-only
    line, dedented like textwrap.dedent: so code can be indented with its step."""
    body = raw[3:-3]
    if body.startswith("\r\n"):
        body = body[2:]
    elif body.startswith("\n"):
        body = body[1:]
    head, newline, tail = body.rpartition("\n")
    if newline and not tail.strip():
        body = head + "\n"
    return textwrap.dedent(body)


@v_args(inline=True)
class _ToAst(Transformer):
    """Tree -> ast nodes. Tokens carry line and column, which become SourcePos."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _pos(self, token: Token) -> SourcePos:
        return SourcePos(self.file, token.line, token.column)

    def start(self, *statements):
        return list(statements)

    # ---- values
    def bare(self, token: Token) -> ast.Scalar:
        return ast.Scalar(str(token), "bare", self._pos(token))

    def string(self, token: Token) -> ast.Scalar:
        return ast.Scalar(unescape(token[1:-1]), "string", self._pos(token))

    def long_string(self, token: Token) -> ast.Scalar:
        raw = str(token)  # its text starts on the next line when a newline follows """
        opens_line = raw[3:4] == "\n" or raw[3:5] == "\r\n"
        return ast.Scalar(long_string(raw), "long", self._pos(token),
                          token.line + 1 if opens_line else token.line)

    @v_args(meta=True, inline=False)
    def list(self, meta, children) -> ast.ListExpr:
        return ast.ListExpr([c for c in children if c is not None],
                            SourcePos(self.file, meta.line, meta.column))

    def call(self, name: Token, *args) -> ast.Call:
        return ast.Call(str(name)[:-1], [a for a in args if a is not None], self._pos(name))

    # ---- items
    def sweep_var(self, var: Token, _in: Token, values) -> ast.SweepVar:
        return ast.SweepVar(str(var), self._pos(var), values)

    def item(self, value, _arrow, renamed, assigned, _for, sweep) -> ast.Item:
        if renamed is not None and not isinstance(renamed, ast.Scalar):
            raise _PositionedParseError(renamed.pos, "the right side of '->' must be a path")
        return ast.Item(value, value.pos, renamed, assigned, [sweep] if sweep else [])

    # ---- statements
    def setting(self, name: Token, *items) -> ast.Setting:
        return ast.Setting(str(name), self._pos(name), _join_sweeps(items))

    def let(self, keyword: Token, name: Token, value) -> ast.Let:
        return ast.Let(str(name), self._pos(name), value, self._pos(keyword))

    def field(self, name: Token, *items) -> ast.Field:
        return ast.Field(str(name), self._pos(name), _join_sweeps(items))

    def step(self, keyword: Token, name: Token, *rest) -> ast.Step:
        sweep = [r for r in rest if isinstance(r, ast.SweepVar)]
        fields = [r for r in rest if isinstance(r, ast.Field)]
        return ast.Step(str(name), self._pos(name), self._pos(keyword), sweep, fields)

    def stage(self, keyword: Token, name: Token, *fields) -> ast.Stage:
        return ast.Stage(str(name), self._pos(name), self._pos(keyword), list(fields))


class _PositionedParseError(Exception):
    def __init__(self, pos: SourcePos, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


def _join_sweeps(elements) -> list[ast.Item]:
    """`a for x in X, y in Y, b`: attach `y in Y` to the item whose `for` precedes it."""
    items: list[ast.Item] = []
    for element in elements:
        if isinstance(element, ast.SweepVar):
            if not items or not items[-1].sweep:
                raise _PositionedParseError(
                    element.var_pos, f"'{element.var} in ...' without a 'for' before it")
            items[-1].sweep.append(element)
        elif element is not None:
            items.append(element)
    return items
