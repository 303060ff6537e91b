"""Training: the reader fine-tuned (and distilled) on SQuAD and scored on it; never imports the index or web code."""
