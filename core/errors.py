class DomainError(Exception):
    """A rule of the service was broken. The message is shown to the user as is."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
