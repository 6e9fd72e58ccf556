"""Cache Python dependencies keyed on the interpreter's exact ABI."""

__version__ = "1.0.0"
