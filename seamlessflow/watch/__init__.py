"""Watch mode: rerun what a change in the project affects, as soon as the change is over.

`plan` says what a workflow reads from disk, `watchset` which folders to observe and which
events matter, `observe` feeds watchdog's events into a queue, `debounce` turns a burst
into one moment, `fingerprint` tells a real change from a touch, `display` says what
happens, and `loop` ties them to `RunSession`. Only `seamlessflow watch` imports this
package, so no other command pays for watchdog.
"""
