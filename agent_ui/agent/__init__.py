"""The agent's desk: the ringing call, the caller's card, appeals registered
during the call, and the call controls."""
