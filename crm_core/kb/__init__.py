"""The knowledge base (C15): articles agents search during a call, edited by
supervisors and administrators."""
