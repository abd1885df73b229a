"""Rate limits whose counts live in the database, shared by every process.

:mod:`app.ratelimit.counter` counts and decides; :mod:`app.ratelimit.deps` names
the client address that per-address limits are keyed on.
"""
