"""The order-to-cash workflow: commands, handlers, the projector and the bus.

Depends on abstract ports only (``o2c.engine.ports``); the store and adapters
implement them.
"""
