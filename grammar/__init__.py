"""Text -> typed facts: extraction, normalisation, the Lark grammar and its Transformer."""
