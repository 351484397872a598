"""retry_once: a read is repeated once for a dead connection, and for nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from crm_core.db import retry_once


class Reads:
    """A read that fails with the given errors, in order, then answers its count."""

    def __init__(self, *errors: DBAPIError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.calls


def dead() -> DBAPIError:
    return DBAPIError("SELECT 1", None, OSError("closed"), connection_invalidated=True)


def refused() -> DBAPIError:
    return DBAPIError("SELECT 1", None, ValueError("bad"), connection_invalidated=False)


async def test_retry_once_reads_once_when_the_first_read_answers() -> None:
    read = Reads()
    assert await retry_once(read) == 1


async def test_retry_once_reads_again_when_the_connection_was_dead() -> None:
    read = Reads(dead())
    assert await retry_once(read) == 2


async def test_retry_once_raises_at_once_when_the_error_is_not_a_dead_connection() -> (
    None
):
    read = Reads(refused())
    with pytest.raises(DBAPIError) as raised:
        await retry_once(read)
    assert not raised.value.connection_invalidated
    assert read.calls == 1


async def test_retry_once_raises_when_the_second_connection_is_dead_too() -> None:
    read = Reads(dead(), dead())
    with pytest.raises(DBAPIError):
        await retry_once(read)
    assert read.calls == 2
