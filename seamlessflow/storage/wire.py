"""Names in the services' wire format, shared by their clients (here in storage/, and
the jobserver runner) and by the services themselves, which import them from here.

Seamless's own database request types (`transformation`, `rev_transformations`,
`metadata`) are spoken as seamless-database speaks them; seamlessflow's additions carry
a `seamlessflow_` prefix, a name Seamless never uses, so a Seamless client and a
seamlessflow client can share one database service.
"""

from __future__ import annotations

TOKEN_ENV = "SEAMLESSFLOW_TOKEN"  # the bearer token, for services and clients alike

# hashserver: on a /has answer, says that only stored buffers count (Seamless's server also
# counts uploads under way, which may yet die)
HAS_HEADER = "Seamlessflow-Has"
HAS_STORED_ONLY = "stored"
# hashserver: several small buffers in one request (seamlessflow's own; Seamless's server
# lacks it, and its answer, without PUT_MANY_HEADER, tells the client to PUT one by one).
# Body: a JSON list of [checksum, length] pairs, a newline, then the buffers' bytes in order.
PUT_MANY_PATH = "/seamlessflow/put-many"
PUT_MANY_HEADER = "Seamlessflow-Put-Many"

# database request types (the JSON body's "type")
SEAMLESS_TRANSFORMATION = "transformation"  # GET: result as plain text; PUT: "value"
SEAMLESS_REV_TRANSFORMATIONS = "rev_transformations"  # GET: JSON list, 404 when none
SEAMLESS_PROTOCOL = "protocol"  # GET: seamless-database's protocol triple
SEAMLESS_METADATA = "metadata"  # PUT: "result", "value" (execution record); GET: the record
SET_RESULT = "seamlessflow_set_result"  # PUT: "value", "captures", "record", "overwrite"
GET_RESULTS = "seamlessflow_get_results"  # GET: "checksums" list -> {tf: result}
TRANSFORMATIONS_FOR = "seamlessflow_transformations_for"  # GET: JSON list, maybe empty
GET_RECORD = "seamlessflow_get_record"  # GET: JSON record, 404 when none
FORGET = "seamlessflow_forget"  # PUT

# jobserver
JOB_PATH = "/job"  # POST Job.to_json() -> {"outcome": JobOutcome.to_json(), "log": str|None}
