"""Calibration: the measurement corpus, predictions of it, fitting and accuracy reports."""
