"""A hostile-input fuzzer for any running gRPC service that offers server reflection.

report = await fuzz_service("127.0.0.1:50051", baselines={"pkg.Service/Method": request})
assert_no_findings(report)
"""

from atelier_testing.grpc_fuzzer.options import DEFAULT_MAX_REQUEST_BYTES, Baseline, Case
from atelier_testing.grpc_fuzzer.report import Finding, FuzzReport, assert_no_findings
from atelier_testing.grpc_fuzzer.runner import fuzz_service
from atelier_testing.grpc_fuzzer.values import Trait

__all__ = [
    "DEFAULT_MAX_REQUEST_BYTES",
    "Baseline",
    "Case",
    "Finding",
    "FuzzReport",
    "Trait",
    "assert_no_findings",
    "fuzz_service",
]
