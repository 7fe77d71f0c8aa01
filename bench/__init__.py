"""Benchmarks: a data generator and scripts that measure the app at contact-centre scale."""
