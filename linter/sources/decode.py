"""Bytes to text: what stackalign reads must be UTF-8 (a BOM is allowed); anything else is a
positioned SA001 reason, never a crash."""

from __future__ import annotations

import codecs


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, "UTF-16 text (byte order mark); save the file as UTF-8"
    if b"\x00" in data:
        return None, "binary file (NUL byte)"
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, (
            f"not valid UTF-8 (byte 0x{data[bom + exc.start]:02x} at offset {bom + exc.start}); "
            "save the file as UTF-8 (is it Latin-1 or binary?)"
        )


def decode_position(data: bytes) -> tuple[int, int]:
    """Line and column (1-based, in characters) of the byte that `decode_bytes` refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 1, 1
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    offset = data.find(b"\x00")
    if offset < 0:
        try:
            data[bom:].decode("utf-8")
            return 1, 1
        except UnicodeDecodeError as exc:
            offset = bom + exc.start
    line_start = data.rfind(b"\n", bom, offset) + 1 or bom
    line = data.count(b"\n", bom, offset) + 1
    return line, len(data[line_start:offset].decode("utf-8", "replace")) + 1
