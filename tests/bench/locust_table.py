# locust_table.py - Locust's side of bench_locust.sh: the same load and the
# same check as tests/bench/personas/table_session.lua. Each user loops
# without pause over one kept connection (FastHttpUser): GET /Xy?x=X&y=Y
# for random x, y in 1..BIG_TABLE (default 10), and the reply must be the
# layer-cake envelope {"value":["vector<vector<float8>>",[[n,...],...],[]]}
# holding y rows of x numbers; anything else is a failure.
#
# Run: locust -f tests/bench/locust_table.py --headless -u 50 -r 50 -t 5s \
#          --host http://127.0.0.1:PORT --only-summary
import os
import random

from locust import FastHttpUser, constant, task

BIG = int(os.environ.get("BIG_TABLE", "10"))


def shape_error(body, x, y):
    """None when body is a table of y rows of x numbers, else why not."""
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list) or len(value) < 2 or value[0] != "vector<vector<float8>>":
        return "not a layer-cake table"
    rows = value[1]
    if not isinstance(rows, list) or len(rows) != y:
        return "not the matching table: wrong number of rows"
    for row in rows:
        if not isinstance(row, list) or len(row) != x:
            return "not the matching table: wrong row length"
        for n in row:
            if not isinstance(n, (int, float)) or isinstance(n, bool):
                return "not the matching table: not a number"
    return None


class TableUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def table(self):
        x, y = random.randint(1, BIG), random.randint(1, BIG)
        with self.client.get(f"/Xy?x={x}&y={y}", name="table", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            why = shape_error(r.json(), x, y)
            if why:
                r.failure(why)
            else:
                r.success()
