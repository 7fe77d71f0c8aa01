"""Calibration: evaluators score the same interactions blind and are compared with a
benchmark and with each other (DESIGN.md "Calibration")."""
