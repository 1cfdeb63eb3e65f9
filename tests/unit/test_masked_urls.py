"""Passwords in URLs are masked in anything o2c prints."""

from __future__ import annotations

import pytest

from o2c.store.database import mask_secrets, masked_url


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://u:s3cret@db:5432/o2c", "postgresql+psycopg://u:***@db:5432/o2c"),
    ("nats://u:s3cret@127.0.0.1:4222", "nats://u:***@127.0.0.1:4222"),
    ("postgresql://u@db/o2c", "postgresql://u@db/o2c"),
    ("sqlite:////var/o2c/o2c.db", "sqlite:////var/o2c/o2c.db"),
    ("memory", "memory"),
])
def test_a_url_is_shown_with_its_password_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_driver_message_that_echoes_the_password_is_masked_written_and_decoded() -> None:
    url = "postgresql+psycopg://u:p%40ss%2Fword@db/o2c"
    message = "connection to 'u:p@ss/word@db' failed (dsn postgresql://u:p%40ss%2Fword@db/o2c)"
    assert mask_secrets(message, url, None) == "connection to 'u:***@db' failed (dsn postgresql://u:***@db/o2c)"
