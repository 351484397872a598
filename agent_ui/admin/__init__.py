"""The administration pages: users and roles, queues, agents' seats, IVR flows."""
