"""The HTTP API (FastAPI): REST order intake, hold decisions, order queries and
traces, the dead-letter queue. Build it with :func:`create_app` over a wired app
from :func:`o2c.bootstrap.bootstrap`."""

from o2c.api.app import create_app

__all__ = ["create_app"]
