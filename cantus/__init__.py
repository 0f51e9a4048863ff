"""cantus core: configuration, corpus ingestion, features, captions, tokens and the CLI."""

__version__ = "0.1.0"
