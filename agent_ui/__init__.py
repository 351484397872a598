"""Agent and supervisor desktops: pages, login and Socket.IO rooms."""
