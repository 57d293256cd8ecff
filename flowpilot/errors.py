"""Domain errors raised by services; the API answers them as `{"detail", "code"}`."""


class DomainError(Exception):
    """A rule of the domain refused the request. `status` is the HTTP status the API answers."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    # Where the page can point the engineer to sort it out: (link text, URL), or None.
    link: tuple[str, str] | None = None

    def body(self) -> dict:
        """The API's answer: `{"detail", "code"}`, plus what a subclass adds."""
        return {"detail": self.message, "code": self.code}


class InvalidInput(DomainError):
    """Input a service cannot accept; `field` names what was wrong."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, errors: dict | None = None):
        super().__init__(message, code=code, field=field)
        self.errors = errors or ({field: [message]} if field else {})

    def body(self) -> dict:
        return {**super().body(), "errors": self.errors} if self.errors else super().body()


class ServiceUnavailable(DomainError):
    """A service FlowPilot depends on (the task queue, the cache) is down; nothing was half done."""

    status = 503
    code = "service_unavailable"


class NotFound(DomainError):
    """Nothing of the kind exists yet (the object asked about does, and is the caller's)."""

    status = 404
    code = "not_found"
