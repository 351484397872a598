"""The knowledge base's pages: reading and searching for everyone, writing and
keeping articles and categories for editors, and the agent desk's search."""
