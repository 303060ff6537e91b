"""Litestar web app: browser chat and JSON API over a QAService."""
