"""``MlflowException`` as the runtime sees it: a message and an ``error_code``."""


class MlflowException(Exception):
    def __init__(self, message, error_code="INTERNAL_ERROR"):
        super().__init__(message)
        self.message = message
        self.error_code = error_code
