"""PBX simulator: a real AMI server and FastAGI client that behave as Asterisk does."""
