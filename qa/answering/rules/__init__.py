"""The rule-based answerer (answerer=rules): best sentences and typed spans inside them."""
