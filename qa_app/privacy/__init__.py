"""Privacy: an account holder's copy of their data, and the anonymisation of departed agents.

`personal_data` builds the copy, `anonymise` removes a departed agent's identity and the
free text about them; `views` and `cli` are thin layers over the two.
"""
