"""A result database behind a seamlessflow database service.

Every method is one request (get_results is batched), using seamlessflow's own request
types, so that a result, its captures and its execution record are recorded atomically
by the server, as SqliteResultDatabase records them locally.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable
from typing import Any

import orjson

from seamlessflow.errors import ResultConflict, StoreError
from seamlessflow.storage import wire
from seamlessflow.storage.http_client import (
    DEFAULT_RETRIES,
    HttpClient,
    env_int,
    require_checksum,
)

BATCH = 1000  # transformations per get_results request
# seamless-database's whole answer to a request type it does not know (ours add detail)
SEAMLESS_DATABASE_REFUSAL = "ERROR: Malformed request"


class HttpResultDatabase:
    """Picklable like HttpBufferStore: configuration only, connections reopened lazily."""

    def __init__(self, url: str, token: str | None = None, *, retries: int = DEFAULT_RETRIES):
        inflight = env_int("SEAMLESS_DATABASE_MAX_INFLIGHT", 30)
        self.client = HttpClient(url, "database", token, max_inflight=inflight, retries=retries)

    @property
    def url(self) -> str:
        return self.client.url

    def __repr__(self) -> str:
        return f"HttpResultDatabase({self.url!r})"

    def healthy(self) -> bool:
        return self.client.healthy()

    def close(self) -> None:
        self.client.close()

    # ---- ResultDatabase ----------------------------------------------------

    def get_results(self, transformations: Iterable[str]) -> dict[str, str]:
        wanted = [require_checksum(tf) for tf in dict.fromkeys(transformations)]
        found: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            answer = self._call("GET", {"type": wire.GET_RESULTS, "checksums": chunk},
                                "look up results")
            if not isinstance(answer, dict):
                raise self._malformed("look up results")
            found.update(answer)
        return found

    def set_result(
        self,
        transformation: str,
        result: str,
        captures: dict[str, str] | None = None,
        record: dict | None = None,
        overwrite: bool = False,
    ) -> None:
        request = {"type": wire.SET_RESULT, "checksum": require_checksum(transformation),
                   "value": require_checksum(result), "captures": captures, "record": record,
                   "overwrite": overwrite}
        self._call("PUT", request, f"record the result of {transformation}")

    def transformations_for(self, checksum: str) -> list[str]:
        answer = self._call("GET", {"type": wire.TRANSFORMATIONS_FOR,
                                    "checksum": require_checksum(checksum)},
                            f"look up transformations for {checksum}")
        if not isinstance(answer, list):
            raise self._malformed(f"look up transformations for {checksum}")
        return answer

    def get_record(self, transformation: str) -> dict | None:
        answer = self._call("GET", {"type": wire.GET_RECORD,
                                    "checksum": require_checksum(transformation)},
                            f"get the record of {transformation}", missing_ok=True)
        return answer if isinstance(answer, dict) else None

    def forget(self, transformation: str) -> None:
        self._call("PUT", {"type": wire.FORGET, "checksum": require_checksum(transformation)},
                   f"forget {transformation}")

    # ---- internals -----------------------------------------------------------

    def _call(self, method: str, request: dict[str, Any], what: str,
              missing_ok: bool = False) -> Any:
        def handle(response: http.client.HTTPResponse) -> Any:
            if response.status == 404 and missing_ok:
                response.read()
                return None
            if response.status == 409:  # another result is recorded: see ResultConflict
                raise ResultConflict(str(self.client.failure(response, what)))
            if response.status != 200:
                failure = self.client.failure(response, what)
                if str(failure).endswith(SEAMLESS_DATABASE_REFUSAL):
                    raise StoreError(f"{failure} (the answer of seamless-database, which "
                                     "knows only Seamless's requests: use `seamlessflow serve "
                                     "database`, which serves both tools)")
                raise failure
            body = response.read()
            if method == "PUT":
                return None
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                raise self._malformed(what) from None

        return self.client.request(method, "/", what, handle, json=request)

    def _malformed(self, what: str) -> StoreError:
        return StoreError(f"database {self.url}: cannot {what}: malformed answer "
                          "(is this a seamlessflow database service?)")
