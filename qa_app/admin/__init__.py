"""Administration: user accounts (create, edit, deactivate, reset a password); teams are in
`qa_app.teams`."""
