"""The session layer: what a run means, whichever front end asked for it.

Loading a workflow (with the plan cache), selecting targets, choosing stages and runners,
the settled-run record, running, and the summary and its records. Its inputs are typed
options (`options.RunOptions`), never a command line: the CLI, watch mode and the Python
API each translate theirs into them. Nothing here prints except through reporters.
"""
