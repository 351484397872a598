"""Asterisk bridge: AMI client, FastAGI server, call tracker, PBX port and simulator."""
