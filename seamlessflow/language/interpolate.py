"""`{var}` in paths, with `{{` and `}}` for literal braces.

A template is split once into literal text and variable names, so that expanding a
sweep of ten thousand instances formats strings instead of re-scanning them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from seamlessflow.language.evaluate import NAME, plain_text


class TemplateError(ValueError):
    pass


class Template(NamedTuple):
    parts: tuple[str, ...]  # literal, name, literal, name, ..., literal
    names: tuple[str, ...]

    def render(self, env: dict[str, Any]) -> str:
        """`env` must hold every name (checked by `missing`); a list value is refused."""
        if not self.names:
            return self.parts[0]
        if len(self.names) == 1:  # the usual `data/{sample}.txt`, without the loop
            value = env[self.names[0]]
            if isinstance(value, (list, dict)):
                raise _not_single(self.names[0])
            return self.parts[0] + plain_text(value) + self.parts[2]
        out = [self.parts[0]]
        for index, name in enumerate(self.names):
            value = env[name]
            if isinstance(value, (list, dict)):
                raise _not_single(name)
            out.append(plain_text(value))
            out.append(self.parts[2 * index + 2])
        return "".join(out)


def _not_single(name: str) -> TemplateError:
    return TemplateError(f"'{name}' is a list, not a single value; "
                         f"sweep over it with `for x in {name}` and write {{x}}")


@lru_cache(maxsize=4096)
def compile_template(text: str) -> Template:
    parts: list[str] = []
    names: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{" and text.startswith("{{", i):
            literal.append("{")
            i += 2
        elif char == "}" and text.startswith("}}", i):
            literal.append("}")
            i += 2
        elif char == "{":
            end = text.find("}", i)
            if end == -1:
                raise TemplateError(f"'{{' in {text!r} is never closed; write {{name}} for "
                                    "a variable, {{ for a literal brace")
            name = text[i + 1:end]
            if not NAME.match(name):
                raise TemplateError(f"{text[i:end + 1]!r} in {text!r} is not a {{variable}}: "
                                    "a name is letters, digits and _; write {{ for a literal "
                                    "brace")
            parts.append("".join(literal))
            literal = []
            parts.append(name)
            names.append(name)
            i = end + 1
        elif char == "}":
            raise TemplateError(f"'}}' in {text!r} closes no {{variable}}; "
                                "write }} for a literal brace")
        else:
            literal.append(char)
            i += 1
    parts.append("".join(literal))
    return Template(tuple(parts), tuple(names))
