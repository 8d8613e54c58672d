"""What `atelier bench media` prints: both throughputs, their ratio and the transfer's RSS growth."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MIB = 1024 * 1024
TARGET_RATIO = 0.8
TARGET_RSS_GROWTH = 100 * MIB


@dataclass(frozen=True)
class MediaBenchReport:
    size_bytes: int
    part_bytes: int
    transfer_s: float
    baseline_s: float
    rss_growth_bytes: int
    # Both objects arrived whole (sizes checked against the bucket).
    sound: bool

    @property
    def transfer_mib_s(self) -> float:
        return self.size_bytes / MIB / self.transfer_s

    @property
    def baseline_mib_s(self) -> float:
        return self.size_bytes / MIB / self.baseline_s

    @property
    def ratio(self) -> float:
        return self.transfer_mib_s / self.baseline_mib_s

    @property
    def meets_targets(self) -> bool:
        return self.ratio >= TARGET_RATIO and self.rss_growth_bytes < TARGET_RSS_GROWTH

    def to_json(self) -> dict[str, object]:
        return {
            **asdict(self),
            "transfer_mib_s": round(self.transfer_mib_s, 1),
            "baseline_mib_s": round(self.baseline_mib_s, 1),
            "ratio": round(self.ratio, 3),
            "targets": {"ratio": TARGET_RATIO, "rss_growth_bytes": TARGET_RSS_GROWTH},
            "meets_targets": self.meets_targets,
        }


def render_table(report: MediaBenchReport) -> str:
    size = report.size_bytes / MIB
    return "\n".join(
        [
            f"media transfer of {size:.0f} MiB from a local HTTP source into S3 "
            f"(parts of {report.part_bytes // MIB} MiB)",
            f"  fallback transfer        {report.transfer_mib_s:8.1f} MiB/s  ({report.transfer_s:.2f} s)",
            f"  boto3 upload_fileobj     {report.baseline_mib_s:8.1f} MiB/s  ({report.baseline_s:.2f} s)",
            f"  ratio                    {report.ratio:8.2f}     (target ≥ {TARGET_RATIO})",
            f"  transfer peak RSS growth {report.rss_growth_bytes / MIB:8.1f} MiB "
            f"(target < {TARGET_RSS_GROWTH // MIB} MiB)",
            f"  sound                    {'yes' if report.sound else 'NO'}",
        ]
    )
