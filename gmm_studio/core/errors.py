"""Errors the engine raises for problems a user can understand and fix."""


class FitError(ValueError):
    """A fit cannot start or continue; the message says why in plain words."""


class DegenerateCovarianceError(FitError):
    """A component's covariance stopped being positive definite.

    Parameters
    ----------
    component : int
        Index of the offending component.
    message : str
        Readable explanation, including what to change (usually ``reg_covar``).
    """

    def __init__(self, component: int, message: str):
        super().__init__(message)
        self.component = component
