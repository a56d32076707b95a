"""SafeShift: the workplace-safety responsibility system in Slack."""

__version__ = "0.2.0"  # the one place: pyproject reads it, `safeshift --version` and the manifest show it
