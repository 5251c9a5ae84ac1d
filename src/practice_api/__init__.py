"""practice-api: a headless REST/JSON API for accounting and audit firms and their clients."""

__version__ = "0.1.0"
