"""A small workflow with a failure, and a reader of the HTML page `seamlessflow report`
writes about it: shared by the report tests in tests/run and the browser test in
tests/browser (`pythonpath` in pyproject.toml makes this importable)."""

from __future__ import annotations

from html.parser import HTMLParser

# count[n=5] fails after writing to stderr; summary is skipped
FAILING = '''\
let lengths = [3, 5]

step tokenize:
    inputs: corpus/
    shell: "cat corpus/*.txt > tokens.txt"
    captures: tokens.txt

step count for n in lengths:
    inputs: tokens.txt
    params: n
    shell: """
        echo "counting with n=$n" >&2
        test $n -ne 5 || { echo "n is five, giving up" >&2; exit 4; }
        grep -c . tokens.txt > counts.txt
        """
    captures: counts.txt -> counts/{n}.txt

step summary:
    inputs: counts/{n}.txt for n in lengths
    shell: "cat counts/*.txt > summary.md"
    captures: summary.md
'''


class Page(HTMLParser):
    """Every element's tag and attributes, its text, and the elements by id."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.by_id = {a["id"]: (t, a) for t, a in self.elements if "id" in a}

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def having(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and cls in a.get("class", "").split()]
