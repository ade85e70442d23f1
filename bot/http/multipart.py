"""A ``multipart/form-data`` body read as it arrives, each part bounded before it is kept.

Starlette parses forms with ``python-multipart``, which this project does not install, and even with
it a file part has no size bound (it is spooled to disk whole). An upload is hostile until proven
otherwise, so this reader refuses as soon as it knows enough: an unknown part name or one part too many
when the part's headers end (before any of its bytes are kept), a part over its own bound at the first
byte past it (a 50 MB file costs us the bound plus one network chunk, never 50 MB), headers or a
preamble longer than any real client sends. The total is the request-size middleware's
(``bot.http.limits``), which counts every byte as it is read.

RFC 7578 (multipart/form-data) on RFC 2046 §5.1.1 (the delimiter syntax): the body is
``--boundary CRLF headers CRLF CRLF data CRLF --boundary ... CRLF --boundary--``. We take the
delimiter as ``CRLF--boundary`` by pretending the body starts with a CRLF, which makes the first
delimiter like every other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

# RFC 2046: a boundary is 1 to 70 characters.
MAX_BOUNDARY = 70
# A part's headers (Content-Disposition with a file name, Content-Type): a real client sends ~200 bytes.
MAX_PART_HEADERS = 4096
# Bytes before the first boundary (RFC 2046 allows a preamble; browsers send none).
MAX_PREAMBLE = 1024


class MultipartRefused(Exception):
    """A multipart body refused; ``status`` 400 (malformed, unknown part) or 413 (a part too large)."""

    def __init__(self, status: int, message: str, field: str = "body", code: str = "multipart_invalid") -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.code = status, message, field, code


@dataclass
class Part:
    """One part: its form name, the file name it came with (if any), its content type and bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class PartRule:
    """How many parts a name may have, and how large each may be."""

    max_count: int
    max_bytes: int


def boundary_of(content_type: str) -> str | None:
    """The ``boundary`` parameter of a ``multipart/form-data`` Content-Type, or None."""
    kind, params = _header_params(content_type)
    value = params.get("boundary")
    if kind != "multipart/form-data" or value is None:
        return None
    return value if 1 <= len(value) <= MAX_BOUNDARY and value.isascii() else None


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="x"; filename="a.png"`` → ("form-data", {"name": "x", "filename": "a.png"}).
    Quoted values may hold ``;`` (a file name can); backslash escapes as browsers send them."""
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i = 0
    while i < len(rest):
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip(" \t;").lower()
        i = eq + 1
        if i < len(rest) and rest[i] == '"':
            out, i = [], i + 1
            while i < len(rest) and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < len(rest):
                    i += 1
                out.append(rest[i])
                i += 1
            params[key] = "".join(out)
            i += 1
        else:
            end = rest.find(";", i)
            end = len(rest) if end < 0 else end
            params[key] = rest[i:end].strip()
            i = end
        i += 1 if i < len(rest) and rest[i] == ";" else 0
    return head.strip().lower(), params


def _part_headers(raw: bytes) -> tuple[str, str | None, str | None]:
    """(name, filename, content type) from a part's header block; MultipartRefused if it has no name."""
    name = filename = content_type = None
    for line in raw.decode("latin-1").split("\r\n"):
        key, colon, value = line.partition(":")
        if not colon:
            continue
        key = key.strip().lower()
        if key == "content-disposition":
            kind, params = _header_params(value)
            if kind == "form-data":
                name, filename = params.get("name"), params.get("filename")
        elif key == "content-type":
            content_type = value.strip().lower()
    if not name:
        raise MultipartRefused(400, "a multipart part has no Content-Disposition: form-data name")
    return name, filename, content_type


async def read_parts(stream: AsyncIterator[bytes], boundary: str, rules: Mapping[str, PartRule]) -> list[Part]:
    """Every part of the body, in order, each checked against its name's rule as it arrives."""
    delimiter = b"\r\n--" + boundary.encode("ascii")
    buffer = bytearray(b"\r\n")
    parts: list[Part] = []
    counts: dict[str, int] = {}
    state = "preamble"
    current: tuple[str, str | None, str | None] | None = None
    data = bytearray()
    limit = 0
    ended = False
    async for chunk in stream:
        buffer += chunk
        while True:
            if state == "preamble":
                at = buffer.find(delimiter, 0, MAX_PREAMBLE + 2 + len(delimiter))
                if at < 0:
                    if len(buffer) > MAX_PREAMBLE + 2 + len(delimiter):
                        raise MultipartRefused(400, "the multipart body does not start with its boundary")
                    break
                del buffer[:at + len(delimiter)]
                state = "after_delimiter"
            if state == "after_delimiter":
                if len(buffer) < 2:
                    break
                if buffer[:2] == b"--":
                    ended = True
                    break
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > 256:
                        raise MultipartRefused(400, "a multipart boundary line is malformed")
                    break
                if buffer[:end].strip(b" \t"):  # only transport padding may follow a boundary
                    raise MultipartRefused(400, "a multipart boundary line is malformed")
                del buffer[:end + 2]
                state = "headers"
            if state == "headers":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_PART_HEADERS:
                        raise MultipartRefused(400, f"a multipart part's headers are over {MAX_PART_HEADERS} bytes")
                    break
                if end > MAX_PART_HEADERS:
                    raise MultipartRefused(400, f"a multipart part's headers are over {MAX_PART_HEADERS} bytes")
                current = _part_headers(bytes(buffer[:end]))
                del buffer[:end + 4]
                name = current[0]
                rule = rules.get(name)
                if rule is None:
                    raise MultipartRefused(400, f"unknown form part {name[:40]!r}; expected one of "
                                           f"{', '.join(sorted(rules))}", field=name[:40], code="part_unknown")
                counts[name] = counts.get(name, 0) + 1
                if counts[name] > rule.max_count:
                    raise MultipartRefused(400, f"too many {name!r} parts (at most {rule.max_count})", field=name,
                                           code="part_too_many")
                data, limit, state = bytearray(), rule.max_bytes, "body"
            if state == "body":
                assert current is not None
                at = buffer.find(delimiter)
                take = at if at >= 0 else max(0, len(buffer) - len(delimiter) + 1)
                if len(data) + take > limit:
                    raise MultipartRefused(413, f"the {current[0]!r} part is too large (the limit is {limit} bytes)",
                                           field=current[0], code="part_too_large")
                data += buffer[:take]
                del buffer[:take]
                if at < 0:
                    break
                parts.append(Part(current[0], current[1], current[2], bytes(data)))
                data = bytearray()
                del buffer[:len(delimiter)]
                state = "after_delimiter"
        if ended:
            break
    if not ended:
        raise MultipartRefused(400, "the multipart body ended before its closing boundary")
    return parts
