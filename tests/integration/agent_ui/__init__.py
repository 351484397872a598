"""The desktops over a real aiohttp server, Socket.IO client and both databases."""
