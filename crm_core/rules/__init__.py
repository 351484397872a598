"""The rules language: one small, safe expression language for every rule in the system.

Text is tokenised, parsed into an AST of frozen dataclasses, checked against a schema
and evaluated against a context; nothing is ever passed to `eval`. See `rule.py`.
"""
