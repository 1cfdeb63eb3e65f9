"""The canonical order-to-cash model: values, aggregates and events.

Pure: standard library only, no clock, no ids, no I/O. Time and identifiers
are passed in by the caller.
"""
