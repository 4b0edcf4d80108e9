# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the datastore client. Each says what failed and what to do about it."""

from __future__ import annotations


class DatastoreError(Exception):
    """Base class: ``str(err)`` is a sentence a user can act on."""

    def __init__(self, msg: str, hint: str | None = None) -> None:
        self.msg = msg
        self.hint = hint
        super().__init__(f"{msg} {hint}" if hint else msg)


class DatastoreUnavailable(DatastoreError):
    """No endpoint answered (connection refused, timeout, TLS failure) after bounded retries."""


class DatastoreTLSError(DatastoreUnavailable):
    """The endpoint answered but TLS verification or client authentication failed."""


class ConflictError(DatastoreError):
    """The object changed (or appeared / vanished) since it was read: the guarded write was refused."""


class NotFoundError(DatastoreError):
    """The object does not exist."""


class AlreadyExistsError(ConflictError):
    """A create found the object already there."""


class ValidationError(DatastoreError):
    """Input that Calico would refuse. ``errors`` lists every violation, each naming its field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))
