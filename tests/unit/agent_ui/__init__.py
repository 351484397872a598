"""Pure tests of the desktop views."""
