"""AMI wire framing: bytes in, messages out, and messages back to bytes. No I/O."""

from __future__ import annotations
