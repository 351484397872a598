"""The REST API under /api/v1: routes, authentication, errors and OpenAPI."""
