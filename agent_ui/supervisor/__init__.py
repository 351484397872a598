"""The supervisor's area: the wallboard."""
