"""Settings for every test process, applied before any test module imports gRPC."""

import os

# gRPC's fork handlers run in every child this process forks (initdb, servers started with
# another user), and a fork while gRPC threads are busy has crashed such a child. The tests
# fork only to exec, so they need none of gRPC's fork support.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
