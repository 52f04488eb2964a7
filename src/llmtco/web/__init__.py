"""Web app (``llmtco serve``): interactive what-if analysis and saved, versioned scenarios."""
