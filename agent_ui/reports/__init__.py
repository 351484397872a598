"""The reports area: appeals, queues and agents reports with filters and files."""
