"""The WHATWG event-stream parser itself: bytes in, dispatched events and what a browser would swallow out.

What the standard says and this parser does:

- Bytes are decoded as UTF-8. Invalid sequences become U+FFFD, as in a browser; in
  strict mode each one is also a problem naming its byte offset in the stream.
- One leading BOM is stripped. A second one is a character of the first line, so
  ``\\ufeff\\ufeffdata: x`` is a field named ``"\\ufeffdata"``: unknown, ignored.
- A line ends with CR LF, LF or CR. A CR at the end of a chunk ends the line at once;
  an LF at the start of the next chunk is then the second half of a CR LF, not a
  blank line.
- ``:`` starts a comment. ``name:value`` is a field; one space after the colon is
  removed. A line without a colon is a field with an empty value. Field names are
  compared literally (``Data`` is an unknown field).
- ``data`` lines are joined with LF. A blank line dispatches; a block whose data
  buffer is empty (only ``event:``, ``id:``, comments, ...) dispatches nothing, but
  its ``id`` still becomes the last event ID.
- ``id`` is ignored when it contains NUL. The last event ID is not reset between
  events: every later event carries it until a new ``id`` field changes it.
- ``retry`` is used only when it is one or more ASCII digits (not ``" 10"``,
  ``"-1"``, ``"1e3"`` nor other scripts' digits).
- At the end of the stream, an unfinished event is discarded, never dispatched. In
  strict mode any line after the last blank line (a lone comment too) or an
  unterminated line is the problem ``"stream ended inside an event"``: the
  standard's grammar (``event = *( comment / field ) end-of-line``) ends every block
  with a blank line.
- Mixed line endings are allowed by the standard; they are recorded, not a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

END_INSIDE_EVENT = "stream ended inside an event"
"""The problem recorded when the stream ends before the blank line that closes a block."""

_MIB = 1024 * 1024
_EOL = re.compile(r"[\r\n]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, kw_only=True)
class Event:
    """One dispatched event, as a browser's ``MessageEvent`` would see it.

    ``id`` is the stream's last event ID at dispatch time (it persists across
    events, as the standard says); ``None`` until the stream sends a valid ``id``
    field. ``retry`` is the reconnection time set by a valid ``retry`` field in this
    event's own block, else ``None`` (the stream-wide value is ``SseParser.retry``).
    ``raw_lines`` are the decoded lines of the block, comments included, without
    their line endings and without the blank line that dispatched it.
    """

    type: str = "message"
    data: str
    id: str | None = None
    retry: int | None = None
    raw_lines: tuple[str, ...] = ()


class SseParser:
    """Incremental event-stream parser that records everything it ignores.

    >>> p = SseParser()
    >>> [e.data for e in p.feed(b":heartbeat\\n\\nmessage:\\ndata:{}\\n\\n")]
    ['{}']
    >>> p.comments, p.unknown_fields, p.close(), p.problems
    (['heartbeat'], ['message'], [], [])

    Attributes (read them, do not change them):

    - ``comments``: the text after ``:`` of every comment line, in order.
    - ``unknown_fields``: the name of every ignored field, once per occurrence.
    - ``line_endings``: the line endings seen, a subset of ``{"\\n", "\\r", "\\r\\n"}``.
    - ``problems``: framing problems, only when ``strict`` (the default).
    - ``bom``: whether one leading BOM was stripped.
    - ``retry``: the stream's reconnection time from the last valid ``retry`` field.
    - ``last_event_id``: the last valid ``id`` seen, even in an undispatched block.
    - ``overlong``: a line was longer than ``max_line`` characters (None: no limit). Its
      text is dropped as it arrives, up to its line ending, so a 400 MiB line costs no
      memory; it is also a problem in strict mode.
    """

    def __init__(self, *, strict: bool = True, max_line: int | None = None) -> None:
        self.strict = strict
        self.max_line = max_line
        self.overlong = False
        self.comments: list[str] = []
        self.unknown_fields: list[str] = []
        self.line_endings: set[str] = set()
        self.problems: list[str] = []
        self.bom = False
        self.retry: int | None = None
        self.last_event_id: str | None = None
        self.closed = False
        # decoding
        self._undecoded = b""  # an unfinished UTF-8 sequence held for the next chunk
        self._offset = 0  # stream offset of self._undecoded[0]
        self._started = False  # first character seen (BOM handled)
        # line splitting
        self._partial: list[str] = []  # text of the current, unterminated line
        self._partial_len = 0  # its length in characters
        self._dropping = False  # the current line passed max_line: its text is dropped up to its end
        self._after_cr = False  # the last line ended with CR; an LF next completes CR LF
        # the block being built (interpretation buffers)
        self._data: list[str] = []
        self._type = ""
        self._block_retry: int | None = None
        self._block_lines: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        """Consume bytes; return the events that blank lines in them dispatched."""
        if self.closed:
            raise ValueError("SseParser.feed() called after close()")
        return self._feed_text(self._decode(chunk, final=False))

    def close(self) -> list[Event]:
        """Signal the end of the stream.

        The standard discards any unfinished event, so this returns no event (the
        list is there for symmetry with ``feed``). In strict mode an unfinished
        event, or an unfinished UTF-8 sequence, is recorded in ``problems``.
        """
        if self.closed:
            return []
        events = self._feed_text(self._decode(b"", final=True))
        if self._after_cr:
            self.line_endings.add("\r")
            self._after_cr = False
        if self._block_lines or any(self._partial):
            self._problem(END_INSIDE_EVENT)
        self._partial.clear()
        self._reset_block()
        self.closed = True
        return events

    # decoding ------------------------------------------------------------

    def _decode(self, chunk: bytes, *, final: bool) -> str:
        buf = self._undecoded + chunk
        base = self._offset
        out: list[str] = []
        pos = 0
        while pos < len(buf):
            try:
                out.append(buf[pos:].decode("utf-8"))
                pos = len(buf)
            except UnicodeDecodeError as exc:
                start, end = pos + exc.start, pos + exc.end
                out.append(buf[pos:start].decode("utf-8"))
                truncated = end == len(buf) and exc.reason == "unexpected end of data"
                if truncated and not final:
                    pos = start  # wait for the rest of the sequence
                    break
                where = " (the stream ended inside it)" if truncated else ""
                self._problem(
                    f"invalid UTF-8 at byte offset {base + start}: {buf[start:end]!r}{where}"
                )
                out.append("\ufffd")
                pos = end
        self._undecoded = buf[pos:]
        self._offset = base + pos
        text = "".join(out)
        if text and not self._started:
            self._started = True
            if text[0] == "\ufeff":
                self.bom = True
                text = text[1:]
        return text

    # lines -----------------------------------------------------------------

    def _feed_text(self, text: str) -> list[Event]:
        events: list[Event] = []
        i, n = 0, len(text)
        if self._after_cr and n:
            self._after_cr = False
            if text[0] == "\n":
                self.line_endings.add("\r\n")
                i = 1
            else:
                self.line_endings.add("\r")
        while i < n:
            m = _EOL.search(text, i)
            if m is None:
                self._add_partial(text[i:])
                break
            end = m.start()
            self._add_partial(text[i:end])
            line = "".join(self._partial)
            self._partial.clear()
            self._partial_len = 0
            dropped, self._dropping = self._dropping, False
            if text[end] == "\n":
                self.line_endings.add("\n")
                i = end + 1
            elif end + 1 == n:
                self._after_cr = True  # CR or the first half of CR LF: decided later
                i = n
            elif text[end + 1] == "\n":
                self.line_endings.add("\r\n")
                i = end + 2
            else:
                self.line_endings.add("\r")
                i = end + 1
            event = None if dropped else self._process_line(line)
            if event is not None:
                events.append(event)
        return events

    def _add_partial(self, text: str) -> None:
        if self._dropping:
            return
        self._partial_len += len(text)
        if self.max_line is not None and self._partial_len > self.max_line:
            self._partial.clear()
            self._partial_len = 0
            self._dropping = True
            if not self.overlong:
                self._problem(f"a line longer than max_line={self.max_line} characters")
            self.overlong = True
            return
        self._partial.append(text)

    def _process_line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        self._block_lines.append(line)
        if line[0] == ":":
            self.comments.append(line[1:])
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry":
            if _ASCII_DIGITS.fullmatch(value):
                self.retry = self._block_retry = int(value)
        else:
            self.unknown_fields.append(name)
        return None

    def _dispatch(self) -> Event | None:
        event = None
        if self._data:  # the standard's "data buffer is not empty"
            event = Event(
                type=self._type or "message",
                data="\n".join(self._data),
                id=self.last_event_id,
                retry=self._block_retry,
                raw_lines=tuple(self._block_lines),
            )
        self._reset_block()
        return event

    def _reset_block(self) -> None:
        self._data = []
        self._type = ""
        self._block_retry = None
        self._block_lines = []

    def _problem(self, message: str) -> None:
        if self.strict:
            self.problems.append(message)


def parse(data: bytes, *, strict: bool = True) -> tuple[list[Event], SseParser]:
    """Parse a whole stream; the parser is returned for what it recorded."""
    parser = SseParser(strict=strict)
    events = parser.feed(data)
    events += parser.close()
    return events, parser
