"""Faithful fakes of the generation providers' HTTP APIs, each a real HTTP server."""
