"""seamlessflow: a declarative workflow tool with content-addressed caching."""

__version__ = "0.1.0"
