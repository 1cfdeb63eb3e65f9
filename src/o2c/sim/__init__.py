"""The simulated distributor: master data, channels, warehouses, carriers and
customers with latent habits, driving the real runtime through its inbound
messages and reading what it sends out (the outbox), as real systems would.

Deterministic: the same seed gives the same inbound traffic and so the same
event log.
"""
