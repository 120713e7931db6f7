"""pwlint: find plaintext, reversibly encoded and weakly hashed password storage in Python code."""

__version__ = "0.1.0"
