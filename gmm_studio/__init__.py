"""GMM Studio: watch Gaussian mixture models learn, iteration by iteration."""

__version__ = "0.1.0"
