"""The Slack front end: the app object, HTTP server, listeners per surface, delivery of analyses,
incident commands and scheduled jobs, and Slack's wire format (unescaping, dump detection, pacing,
downloads)."""
