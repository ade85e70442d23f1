"""The multipart reader of the HTTP API (``bot.http.multipart``): parts as sent, whatever the chunking,
and every bound refused as soon as it is passed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.http.multipart import (
    MAX_PART_HEADERS,
    MAX_PREAMBLE,
    MultipartRefused,
    Part,
    PartRule,
    boundary_of,
    read_parts,
)

BOUNDARY = "----b0und4ry"
RULES = {"params": PartRule(1, 1000), "image": PartRule(1, 100), "vibe": PartRule(3, 100)}


def body(*parts: tuple[str, bytes, str | None], end: bool = True, preamble: bytes = b"") -> bytes:
    out = preamble
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def parse(data: bytes, size: int = 65536, rules: dict[str, PartRule] = RULES) -> list[Part]:
    return asyncio.run(read_parts(chunks(data, size), BOUNDARY, rules))


def refusal(data: bytes, size: int = 65536) -> MultipartRefused:
    with pytest.raises(MultipartRefused) as caught:
        parse(data, size)
    return caught.value


# Data that looks like a boundary's beginning, to be split across chunks.
TRICKY = b"\r\n--" + BOUNDARY[:5].encode() + b"\r\n\r\n--"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 65536])
def test_parts_are_the_same_whatever_the_chunking(size: int) -> None:
    data = body(("params", b'{"prompt": "a cat"}', None), ("image", TRICKY, "a.png"), ("vibe", b"", "v.png"))
    parts = parse(data, size)
    assert [(p.name, p.filename, p.data) for p in parts] == [
        ("params", None, b'{"prompt": "a cat"}'), ("image", "a.png", TRICKY), ("vibe", "v.png", b"")]


def test_a_quoted_file_name_may_hold_semicolons_and_escaped_quotes() -> None:
    data = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a; \\"b\\".png"\r\n'
            f"Content-Type: image/png\r\n\r\nxyz\r\n--{BOUNDARY}--\r\n").encode()
    (part,) = parse(data)
    assert (part.name, part.filename, part.content_type, part.data) == ("image", 'a; "b".png', "image/png", b"xyz")


def test_a_part_at_its_bound_is_kept_and_one_byte_more_is_413() -> None:
    assert parse(body(("image", b"x" * 100, "a.png")))[0].data == b"x" * 100
    refused = refusal(body(("image", b"x" * 101, "a.png")), size=7)
    assert (refused.status, refused.code, refused.field) == (413, "part_too_large", "image")


def test_a_part_over_its_bound_is_refused_before_the_rest_arrives() -> None:
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"\r\n\r\n'.encode()
        while True:
            consumed += 10
            yield b"x" * 10

    with pytest.raises(MultipartRefused) as caught:
        asyncio.run(read_parts(endless(), BOUNDARY, RULES))
    assert caught.value.status == 413
    assert consumed <= 100 + len(BOUNDARY) + 20


def test_an_unknown_part_is_refused_by_its_name() -> None:
    refused = refusal(body(("picture", b"x", "a.png")))
    assert (refused.status, refused.code, refused.field) == (400, "part_unknown", "picture")


def test_more_parts_of_a_name_than_allowed_are_refused() -> None:
    refused = refusal(body(*[("vibe", b"x", "v.png")] * 4))
    assert (refused.status, refused.code) == (400, "part_too_many")


def test_a_body_without_its_closing_boundary_is_refused() -> None:
    assert "ended before" in refusal(body(("image", b"x", "a.png"), end=False)).message


def test_a_part_without_a_name_is_refused() -> None:
    data = f"--{BOUNDARY}\r\nContent-Type: image/png\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
    assert "no Content-Disposition" in refusal(data).message


def test_part_headers_past_their_bound_are_refused() -> None:
    data = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"\r\nX-Pad: '.encode() + b"p" * MAX_PART_HEADERS
    assert "headers" in refusal(data, size=512).message


def test_a_preamble_is_skipped_but_bounded() -> None:
    assert parse(body(("image", b"x", "a.png"), preamble=b"hello\r\n"))[0].data == b"x"
    long_preamble = b"p" * (MAX_PREAMBLE + 200) + b"\r\n"
    assert "does not start" in refusal(body(("image", b"x", None), preamble=long_preamble)).message


@pytest.mark.parametrize(("header", "boundary"), [
    ("multipart/form-data; boundary=abc", "abc"),
    ('multipart/form-data; charset=utf-8; boundary="a b;c"', "a b;c"),
    ("Multipart/Form-Data;BOUNDARY=xyz", "xyz"),
    ("multipart/form-data", None),
    ("multipart/form-data; boundary=" + "b" * 71, None),
    ("application/json; boundary=abc", None),
])
def test_the_boundary_is_read_from_the_content_type(header: str, boundary: str | None) -> None:
    assert boundary_of(header) == boundary
