"""Evaluation: the service asked a question file end to end, scored and reported."""
