"""CRM core: customers, contacts, appeals, topics, routes, users and the REST API."""
