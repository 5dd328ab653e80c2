"""Measure what the runtime adds on top of calling run() directly.

    /usr/bin/python3 runtime/bench_overhead.py [--calls N]

Loads examples/diabetes/score.py through the runtime (init() once), then
alternates direct run() calls with full core invocations (the path behind the
HTTP entry: payload checks, run(), JSON encoding, the invocation log call) and
prints medians as JSON.
"""
import argparse
import json
import logging
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mlfunc_runtime import core  # noqa: E402

EXAMPLE_DIR = os.path.join(os.path.dirname(HERE), "examples", "diabetes")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--with-logging", action="store_true",
                        help="emit the per-invocation INFO line to a handler (as the Functions host does)")
    args = parser.parse_args(argv)
    if args.with_logging:
        devnull = open(os.devnull, "w")
        handler = logging.StreamHandler(devnull)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)

    os.environ["AZUREML_MODEL_DIR"] = EXAMPLE_DIR
    with open(os.path.join(EXAMPLE_DIR, "sample.json"), "rb") as fh:
        payload = fh.read()
    payload_text = payload.decode("utf-8")

    script = core.ScoringScript(os.path.join(EXAMPLE_DIR, "score.py"), EXAMPLE_DIR)
    script.ensure_ready()
    run = script.module.run
    headers = {"Content-Type": "application/json"}

    def invoke():
        return script.invoke(core.InvocationRequest(
            payload, trigger="http", function_name="bench", method="POST",
            url="http://localhost/api/bench", headers=headers, params={}, route_params={}))

    # Warm caches (numpy, sklearn validation paths) before timing.
    for _ in range(50):
        run(payload_text)
        assert invoke().status == 200

    clock = time.perf_counter_ns
    direct, runtime = [], []
    for _ in range(args.calls):
        t0 = clock()
        run(payload_text)
        t1 = clock()
        result = invoke()
        t2 = clock()
        direct.append(t1 - t0)
        runtime.append(t2 - t1)
        if result.status != 200:
            raise SystemExit("invocation failed: %s" % result.body.decode())

    assert script.init_calls == 1, script.init_calls
    direct_us = statistics.median(direct) / 1000.0
    runtime_us = statistics.median(runtime) / 1000.0
    print(json.dumps({
        "calls": args.calls,
        "direct_median_us": round(direct_us, 1),
        "runtime_median_us": round(runtime_us, 1),
        "added_median_us": round(runtime_us - direct_us, 1),
        "init_calls": script.init_calls,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
