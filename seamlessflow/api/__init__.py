"""The Python API (docs/api.md), re-exported by the package's top level: load a
Seamlessfile, plan and run its targets, read the results; checksum, upload, download
and explain files. Each call goes through the session layer, as the CLI's commands do."""
