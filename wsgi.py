"""gunicorn wsgi:app"""
from shopsync import create_app

app = create_app()
