"""Customer notices (C14): an outbox of SMS, e-mail and call-back requests."""
