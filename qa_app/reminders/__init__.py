"""The daily reminders of the notifications feature: overdue training plan items to their
coaches, assigned interactions to their evaluators (`flask notifications remind`).

A package of its own above the features it reads (training, evaluations), because the
notifications package sits below them so that their services can notify.
"""
