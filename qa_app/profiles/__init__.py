"""Import profiles: how to read one source's files, saved once by the centre.

When a file is not recognised as a shipped export, or is ambiguous, the user says which
column is which field, which identifies the agent, the date order, time zone, duration unit
and channel words; the profile is saved under the source's name and reused for that source's
files and for files of the same shape (the same header names).
"""
