"""Appeals: topics and attributes, contact templates, workflow routes, appeals with
their history, SLA monitoring and attachments."""
