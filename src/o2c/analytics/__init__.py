"""Analytics over the event log: read only, derived, reproducible.

- :mod:`o2c.analytics.kpis`: ``compute_kpis`` reads envelopes once, in log order,
  and returns a ``KpiReport`` for a period (cycle times, hold resolution,
  invoice latency, touchless rate, DSO, CEI, AR aging, integration failures);
  the module docstring defines every figure exactly.
- :mod:`o2c.analytics.trace`: ``build_trace`` tells one order's story: each event
  with a one-line summary and the status after it, the time spent in each
  status, each hold's wait, and the inbound message behind each event.

Both use only the standard library and ``o2c.domain`` (the status comes from
the domain's own fold), so they run the same over a live store, a simulated
year or a replay.
"""
