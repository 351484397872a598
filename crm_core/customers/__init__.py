"""Customers and leads, their phones, caller identification, contacts and imports."""
