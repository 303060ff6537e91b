"""Answering: turning retrieved passages into cited extractive answers, by the trained reader or by rules."""
