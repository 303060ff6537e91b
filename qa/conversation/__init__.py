"""Conversation: questions checked as asked, and follow-ups read in the light of the turns before them."""
