"""The application object for `flask --app run …` and `gunicorn run:app`."""

from qa_app import create_app

app = create_app()
