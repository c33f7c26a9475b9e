"""Bugs the protocol fuzzer found (tests/fuzz/fuzz_protocol.py), as focused tests."""

from __future__ import annotations

import pytest

from luasys import protocol as p


@pytest.mark.parametrize("line", [
    b"\x01t0 DATA\r\n",                      # no size, no crc: was IndexError in the client
    b"\x01t0 DATA 5\r\n",
    b"\x01t0 DATA 5\x01\x00610a686\r\n",      # corpus/protocol/regress-data-reply-bad-size: ValueError
    b"\x01t0 DATA -5 00000000\r\n",          # a negative size made the client drop buffered bytes
    b"\x01t0 DATA 5 0000000G\r\n",
    b"\x01t0 DATA 5 00000000 extra\r\n",
    b"\x01t0 DATA 12345678901 00000000\r\n",
])
def test_a_data_reply_needs_size_and_crc(line: bytes) -> None:
    with pytest.raises(p.ProtocolError) as error:
        p.parse_reply(line)
    assert error.value.code == "bad-frame"


def test_a_data_reply_is_parsed() -> None:
    assert p.parse_reply(b"\x01t0 DATA 5 0a1b2c3d\r\n") == p.Frame("t0", p.DATA, ("5", "0a1b2c3d"))


def test_an_error_reply_may_carry_utf8() -> None:
    """`ERR lua <message>` carries the Lua error text; a non-ASCII message must still
    reach the client as the reply (it was taken for program output, and the client
    waited for its timeout)."""
    frame = p.parse_reply("\x01t0 ERR lua [string \"eval\"]:1: héllo\r\n".encode())
    assert frame.word == p.ERR and frame.args[:2] == ("lua", "[string")
    with pytest.raises(p.ProtocolError):
        p.parse_request("\x01t0 get héllo\n".encode())  # requests stay ASCII
