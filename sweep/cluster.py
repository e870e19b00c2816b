"""Where trials run: an embedded local Ray (`--workers N`) or an existing cluster (`--address`), and the
memory each trial asks Ray for, from the merge plan."""

from __future__ import annotations

import logging

from .errors import SweepError

# Scoring loads the merged model once more, in float32, beside Python, torch and transformers.
SCORE_BASE = 1 << 30
AUTH_HINT = ("a cluster with token authentication (RAY_AUTH_MODE=token, recent Ray's default) needs its token "
             "in this process: export RAY_AUTH_TOKEN=<token> (or RAY_AUTH_TOKEN_PATH=<file>; `ray get-auth-token` "
             "on the head node prints it), else Ray reads ~/.ray/auth_token")


def connect(address: str | None, workers: int | None) -> int:
    """Start or join Ray; the number of trials to keep in flight (--workers, else the cluster's CPUs)."""
    import ray

    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
    if address is None:
        ray.init(address="local", num_cpus=workers or 1, **quiet)  # "local": never join a cluster by accident
        return workers or 1
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as e:  # noqa: BLE001  (Ray raises ConnectionError, RuntimeError or its own AuthenticationError)
        raise SweepError(f"--address {address}: cannot connect to the Ray cluster: {type(e).__name__}: "
                         f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}; {AUTH_HINT}") from None
    return workers or max(1, int(ray.cluster_resources().get("CPU", 1)))


def trial_memory(base_text: str) -> int | None:
    """Bytes a trial needs: the merge's planned peak (merge_core.estimate), or scoring's, whichever is more.
    None where the plan cannot be made (models not found: every trial will say why)."""
    from merge_core.errors import MergeError
    from merge_core.plan_report import make
    from merge_core.run import Options

    try:
        totals = make(base_text, Options()).totals
    except MergeError:
        return None
    if totals.peak_memory_bytes is None:
        return None
    return max(totals.peak_memory_bytes, SCORE_BASE + 2 * (totals.write_bytes or 0))


def check_fits(memory: int | None) -> None:
    """Refuse a trial larger than any node, which Ray would otherwise leave pending for ever."""
    import ray

    if memory is None:
        return
    largest = max((n.get("Resources", {}).get("memory", 0) for n in ray.nodes() if n.get("Alive")), default=0)
    if largest and memory > largest:
        raise SweepError(f"a trial needs {memory / 2**30:.1f} GiB (the merge plan's peak memory) but the largest "
                         f"Ray node offers {largest / 2**30:.1f} GiB")
