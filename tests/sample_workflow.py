"""A small workflow with every kind of input and capture, for tests that run it on a
remote runner and compare with a local run: the wordstats example (a folder input, file
inputs, file captures) plus a step that captures a folder with a subfolder."""

from __future__ import annotations

import shutil
from pathlib import Path

WORDSTATS = Path(__file__).resolve().parents[1] / "examples" / "workflows" / "wordstats"
BUNDLE_STEP = """
step bundle:
    inputs: counts/{n}.txt for n in lengths
    shell: "mkdir -p out/sub && cp counts/*.txt out/ && ls counts > out/sub/index"
    captures: out/ -> bundle/
"""
INSTANCES = 6


FARMED = "step count for n in lengths:"  # the step a mixed run sends to the cluster


def make_project(tmp_path: Path, name: str, settings: str = "", mixed: bool = False) -> Path:
    """The workflow in tmp_path/name, with `settings` as its seamless.yaml. `mixed`: the
    FARMED step is in a stage `farm` on the cluster `lab`, and the others stay local."""
    root = tmp_path / name
    shutil.copytree(WORDSTATS, root)
    text = (root / "Seamlessfile").read_text() + BUNDLE_STEP
    if mixed:
        text = "stage farm:\n    cluster: lab\n\n" + text.replace(
            FARMED + "\n", FARMED + "\n    stage: farm\n")
    (root / "Seamlessfile").write_text(text)
    (root / "seamless.yaml").write_text(settings)
    return root


def outputs(root: Path) -> dict[str, bytes]:
    """Every file a run of the workflow wrote into the project folder."""
    names = ["summary.md", "tokens.txt"]
    names += [str(p.relative_to(root)) for d in ("counts", "bundle")
              for p in sorted((root / d).rglob("*")) if p.is_file()]
    return {name: (root / name).read_bytes() for name in names}
