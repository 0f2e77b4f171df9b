"""Checks the project runs on itself (`make lint`)."""
