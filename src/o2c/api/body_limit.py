"""A request body larger than the configured limit is refused before it is read.

Pure ASGI, so that memory stays bounded whatever the client sends: a declared
``Content-Length`` over the limit is answered at once, without reading a byte of
the body; a chunked body is counted as it streams in and answered as soon as the
count passes the limit. The answer is a 413 problem naming the limit and the size.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c.api.schemas import problem_of, problem_response


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send, f"{declared:,} bytes (its Content-Length)")
            return
        seen = 0
        refused = started = False

        async def counting() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send, f"more than {self.max_bytes:,} bytes "
                                           f"({seen:,} read so far)")
                    # The application sees the client gone: it stops reading and its answer is dropped.
                    return {"type": "http.disconnect"}
            return message

        async def answering(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting, answering)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        detail = (f"the request body is too large: {size}, and this server takes at most "
                  f"{self.max_bytes:,} bytes (O2C_MAX_BODY_BYTES); send less, for example a big "
                  "order as several orders")
        problem = problem_of(413, "CONTENT-TOO-LARGE", detail)
        await problem_response(problem, headers={"Connection": "close"})(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
