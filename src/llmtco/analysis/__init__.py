"""Decision analysis on top of the engine: uncertainty, sensitivity, break-even volume."""
