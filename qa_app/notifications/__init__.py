"""Notifications: what happened that a user should know of, in the app and by e-mail.

Services call one function of `events` where something happens (feedback released, a
dispute raised or decided, a plan issued or acknowledged, a coaching session recorded);
the daily reminders (overdue plan items, assignments waiting) come from
`flask notifications remind` (qa_app.reminders). A notification stores its kind and
parameters, never a sentence: the text is written at display time in the reader's language.
"""
