""""Did you mean" for misspelt names, fields, variables, stages and targets."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, if any is close enough."""
    import difflib  # only when there is a typo to explain

    matches = difflib.get_close_matches(name, list(dict.fromkeys(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A suffix for a message: "; did you mean 'x'?", or "" when nothing is close."""
    match = closest(name, candidates)
    return f"; did you mean '{match}'?" if match else ""


def hint(name: str, candidates: Iterable[str]) -> str | None:
    """The same suggestion as a Diagnostic hint: "did you mean 'x'?", or None."""
    match = closest(name, candidates)
    return f"did you mean '{match}'?" if match else None


def nearest_first(name: str, candidates: Iterable[str]) -> list[str]:
    """All candidates, the most similar to `name` first (a listing that helps spot the
    file a command wrote under another name)."""
    import difflib

    def distance(candidate: str) -> tuple[float, str]:
        return -difflib.SequenceMatcher(None, name, candidate).ratio(), candidate

    return sorted(dict.fromkeys(candidates), key=distance)
