"""o2c: an event-driven order-to-cash engine for wholesale distributors."""

__version__ = "0.1.0"
