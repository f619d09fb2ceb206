"""Server errors: each carries an HTTP status, a stable code and a plain-words message."""

from __future__ import annotations


class ServerError(Exception):
    """An error the API reports as JSON: {"error": code, "message": message}."""

    status = 500
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServerError):
    status = 400
    code = "bad_request"


class Unauthorized(ServerError):
    status = 401
    code = "unauthorized"


class Forbidden(ServerError):
    status = 403
    code = "forbidden"


class NotFound(ServerError):
    status = 404
    code = "not_found"


class Conflict(ServerError):
    status = 409
    code = "conflict"


class Gone(ServerError):
    status = 410
    code = "gone"


class ResyncRequired(Gone):
    """The device's cursor predates forgotten tombstones: it must download afresh."""

    code = "resync_required"


class ClientTooOld(ServerError):
    status = 426
    code = "client_too_old"


class TooManyAttempts(ServerError):
    """Sign-in is throttled after failures; answered with Retry-After (whole seconds)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
