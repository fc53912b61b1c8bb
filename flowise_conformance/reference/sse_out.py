"""Server side of Flowise's SSE framing: ``message:\\ndata:{"event":..,"data":..}\\n\\n`` per event."""
from __future__ import annotations

import json
from typing import Any


def frame(event: str, data: Any, *, line_end: str = "\n") -> bytes:
    payload = json.dumps({"event": event, "data": data}, separators=(",", ":"))
    return f"message:{line_end}data:{payload}{line_end}{line_end}".encode()


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
