"""Telephony errors.

TelephonyError
├── PbxError            the PBX refused an action (Response: Error), with its message
│   ├── PbxTimeout      no reply within the action timeout
│   └── PbxUnavailable  no AMI connection to that PBX right now
└── AgiError            a FastAGI session failed
    ├── AgiHangup       the caller hung up (200 result=-1, a HANGUP line, or 511)
    ├── AgiTimeout      Asterisk did not answer a command in time
    ├── AgiProtocolError  a reply or environment that does not parse
    └── SoundMissing    (telephony.agi) no such sound file; the caller is still there
"""

from __future__ import annotations


class TelephonyError(Exception):
    pass


class PbxError(TelephonyError):
    pass


class PbxTimeout(PbxError):
    pass


class PbxUnavailable(PbxError):
    pass


class AgiError(TelephonyError):
    pass


class AgiHangup(AgiError):
    pass


class AgiTimeout(AgiError):
    pass


class AgiProtocolError(AgiError):
    pass
