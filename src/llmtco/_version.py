"""The package version, importable from anywhere inside the package without importing its root."""

__version__ = "0.1.0"
