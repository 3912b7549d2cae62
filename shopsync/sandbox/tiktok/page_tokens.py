"""Opaque page tokens of the simulated API: an offset into a result list, named by what is paged."""
from __future__ import annotations

import base64

from shopsync.sandbox.tiktok.answers import Refused


def encode_page_token(offset: int, kind: str = "offset") -> str:
    return base64.urlsafe_b64encode(f"{kind}:{offset}".encode()).decode()


def decode_page_token(token: str, kind: str = "offset") -> int:
    if not token:
        return 0
    try:
        prefix, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if prefix == kind and offset.isdigit():
            return int(offset)
    except ValueError:
        pass
    raise Refused(36009004, "Invalid param: page_token")
