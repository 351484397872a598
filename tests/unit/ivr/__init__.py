"""Unit tests of the IVR."""
