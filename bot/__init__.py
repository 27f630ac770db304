"""Everything user-facing: the CLI, the pipeline, renderers and the Slack app."""
