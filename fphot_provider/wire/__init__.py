"""Pure request builders and response readers, shared by the sync and async hook paths.

Nothing here does I/O: every query can show the request it would send without sending it,
which is where most of the wire tests live.
"""
