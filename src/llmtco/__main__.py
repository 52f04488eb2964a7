"""``python -m llmtco`` runs the CLI."""

from llmtco.cli import entry

entry()
