"""Criterion validity: do our criteria matter to customers?"""
