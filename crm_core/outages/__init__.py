"""Outage notices (I6): planned and emergency outages by area, told to callers."""
