"""Faithful fakes of the remote generation providers, each a real HTTP server."""
