"""ASGI entry point: `apps.django_drf.asgi:application`."""

import contextlib
import json
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.django_drf.settings")

UNFINISHED_BODY = json.dumps({"detail": "request body ended before it was complete"}).encode()


def answer_unfinished_bodies(app: Any) -> Any:
    """`app`, answering 400 JSON when a request's body ends in a disconnect before it was whole
    and the application has sent nothing.

    Django gives up on such a request without an answer (RequestAborted). That is right when the
    client has gone, and on uvicorn, gunicorn + uvicorn, hypercorn and daphne, which answer broken
    chunked framing themselves before the application could. granian instead hands the application
    a disconnect and then answers its silence with a 500. The FastAPI stacks answer the same 400
    (apps/_fastapi.py); a client that has really gone never sees it (ASGI servers raise OSError,
    or ignore the send, on a closed connection).
    """

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        seen = {"whole": False, "cut": False, "answered": False}

        async def watched_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                seen["whole"] = True
            elif message["type"] == "http.disconnect" and not seen["whole"]:
                seen["cut"] = True
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["answered"] = True
            await send(message)

        await app(scope, watched_receive, watched_send)
        if seen["cut"] and not seen["answered"]:
            with contextlib.suppress(OSError):
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(UNFINISHED_BODY)).encode())]})
                await send({"type": "http.response.body", "body": UNFINISHED_BODY})

    return application


application = answer_unfinished_bodies(get_asgi_application())
