"""Small buffers that travel with a job to a remote worker and back with its answer.

A remote step's small input was just uploaded by the client, and its small captures
were just uploaded by the worker, which the client then downloads to write them into
the project. A hashserver store keeps the small buffers it just sent or received
(HttpBufferStore.remember), so the bytes can go along with the job and its answer
instead: one download fewer each way per step. They are on the hashserver all the
same, and a store keys them by their own hash, so a buffer that travels this way is
never wrong. A store that keeps nothing in memory (a local folder) sends nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from seamlessflow.execution.job import Job, JobOutcome
from seamlessflow.storage.interfaces import BufferStore


def inputs_at_hand(store: BufferStore, job: Job) -> dict[str, bytes]:
    """The job's file inputs whose bytes `store` keeps in memory."""
    return _recalled(store, (cs for cs, is_dir in job.inputs().values() if not is_dir))


def captured_at_hand(store: BufferStore, outcome: JobOutcome) -> dict[str, bytes]:
    """The captured files of a successful outcome whose bytes `store` keeps in memory."""
    if not outcome.ok or not outcome.result:
        return {}
    return _recalled(store, (cs for key, cs in outcome.result.items() if not key.endswith("/")))


def remember_all(store: BufferStore, buffers: Mapping[str, bytes] | None) -> None:
    """Keep buffers that came with a job or an answer (each under its own hash)."""
    remember = getattr(store, "remember", None)
    if remember is not None and buffers:
        for data in buffers.values():
            remember(data)


def to_text(buffers: Mapping[str, bytes]) -> dict[str, str]:
    """For a JSON body."""
    return {cs: base64.b64encode(data).decode("ascii") for cs, data in buffers.items()}


def from_text(buffers: object) -> dict[str, bytes]:
    """What `to_text` made; anything malformed is ValueError."""
    if buffers is None:
        return {}
    if not isinstance(buffers, dict) or not all(isinstance(v, str) for v in buffers.values()):
        raise ValueError("\"buffers\" must map checksums to base64 text")
    return {cs: base64.b64decode(text, validate=True) for cs, text in buffers.items()}


def _recalled(store: BufferStore, checksums: object) -> dict[str, bytes]:
    recall = getattr(store, "recall", None)
    if recall is None:
        return {}
    found = {cs: recall(cs) for cs in checksums}  # type: ignore[union-attr]
    return {cs: data for cs, data in found.items() if data is not None}
