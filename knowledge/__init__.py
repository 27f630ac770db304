"""Facts -> findings: the knowledge base (gfp decoding, checks, the finding catalogue)."""
