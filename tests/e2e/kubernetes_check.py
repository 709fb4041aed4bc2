"""kubernetes_check.py - examples/kubernetes/ checked offline, then run here.

No cluster is reachable in CI (and `kubectl apply --dry-run=client` still
asks an API server for its resources), so:

 1. every manifest is parsed (PyYAML) and each object validated against the
    Kubernetes API model of its kind (python3-kubernetes): every field must
    be one the model has (an unknown or misspelt field is refused), of the
    model's type, and the models' required fields present; a manifest with a
    misspelt field is shown to be refused, so the check can fail;
 2. the Indexed Job's pods' command lines are taken from the manifest, their
    $(VAR) references expanded as the kubelet does (JOB_COMPLETION_INDEX
    for each pod, the env the manifest sets; the cluster's own values, the
    target service and the Job's uid, replaced by a local server and an id),
    the volumes' mount paths pointed at local folders, the ConfigMap's files
    written there, and run as N processes against `throng serve`;
 3. the merge Job's command line is run the same way, and the merged report
    checked: its counts equal the server's, the ledger holds on the merged
    report and on each shard's, its histogram is the sum of the shards'
    bucket by bucket, and a threshold that each shard passes fails on the
    whole with exit status 5.

usage: kubernetes_check.py THRONG SERVER_ADDR EXAMPLES_DIR WORK_DIR
"""

import copy
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request

import yaml
from kubernetes import client


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------ validation

PRIMITIVES = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: True,  # IntOrString and the like
    "datetime": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str),
}


def validate(value, type_name, path, problems):
    """Checks value against the model type_name ("V1Job", "list[V1Container]",
    "dict(str, str)", "str"), adding each problem found to problems."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            problems.append(f"{path}: a list belongs here, not {type(value).__name__}")
            return
        for i, item in enumerate(value):
            validate(item, type_name[5:-1], f"{path}[{i}]", problems)
    elif type_name.startswith("dict("):
        inner = re.match(r"dict\(([^,]*), (.*)\)$", type_name).group(2)
        if not isinstance(value, dict):
            problems.append(f"{path}: a map belongs here, not {type(value).__name__}")
            return
        for k, v in value.items():
            validate(v, inner, f"{path}.{k}", problems)
    elif type_name in PRIMITIVES:
        if not PRIMITIVES[type_name](value):
            problems.append(f"{path}: {type_name} belongs here, not {value!r}")
    else:
        model = getattr(client.models, type_name)
        if not isinstance(value, dict):
            problems.append(f"{path}: an object ({type_name}) belongs here, not {value!r}")
            return
        by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
        for key, v in value.items():
            if key not in by_json:
                problems.append(f"{path}.{key}: unknown field of {type_name}")
                continue
            validate(v, model.openapi_types[by_json[key]], f"{path}.{key}", problems)


def model_of(obj):
    """The model's name of a manifest object: batch/v1 Job is V1Job."""
    version = obj.get("apiVersion", "").split("/")[-1]
    return "V" + version[1:].capitalize() + obj.get("kind", "")


def check_object(obj, where):
    """The problems of one object: unknown fields, wrong types, and what the
    model's constructor refuses (its required fields)."""
    name = model_of(obj)
    if not hasattr(client.models, name):
        return [f"{where}: no Kubernetes model {name} (apiVersion/kind)"]
    problems = []
    validate(obj, name, where, problems)
    if not problems:
        try:
            client.ApiClient()._ApiClient__deserialize(copy.deepcopy(obj), name)
        except (ValueError, TypeError) as e:
            problems.append(f"{where}: {e}")
    return problems


def load_manifests(folder):
    objects = {}
    files = sorted(glob.glob(os.path.join(folder, "*.yaml")))
    if not files:
        fail(f"no manifest in {folder}")
    for path in files:
        with open(path) as f:
            for i, obj in enumerate(yaml.safe_load_all(f)):
                if obj is None:
                    continue
                where = f"{os.path.basename(path)}[{i}] {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
                problems = check_object(obj, where)
                if problems:
                    fail("manifest refused:\n  " + "\n  ".join(problems))
                objects[(obj["kind"], obj["metadata"]["name"])] = obj
    return objects


def check_validator_refuses():
    """A misspelt field, a wrong type and a missing required field are each
    refused: the validation above is not one that cannot fail."""
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "x"},
        "spec": {
            "completionsMode": "Indexed",
            "template": {"spec": {"containers": [{"name": "a", "image": "b"}]}},
        },
    }
    if not any("completionsMode" in p for p in check_object(job, "job")):
        fail("a Job with the misspelt field spec.completionsMode was not refused")
    job["spec"] = {"completions": "3", "template": job["spec"]["template"]}
    if not any("completions" in p for p in check_object(job, "job")):
        fail("a Job whose completions is a string was not refused")
    job["spec"] = {"template": {"spec": {"containers": [{"image": "b"}]}}}
    if not any("name" in p for p in check_object(job, "job")):
        fail("a container without a name was not refused")


# ------------------------------------------------------------ running

def expand(text, env):
    """$(VAR) as the kubelet expands it in command and args; $$ is $."""
    return re.sub(r"\$\((\w+)\)|\$\$", lambda m: env.get(m.group(1), m.group(0)) if m.group(1) else "$", text)


def container_env(container, here):
    """The env a container gets: its own values, with here's in place of
    those only a cluster gives (fieldRef: the Job's uid) or that point into
    it (the target service) or size the load (kept short here)."""
    env = {}
    for e in container.get("env", []):
        if e["name"] in here:
            env[e["name"]] = here[e["name"]]
        elif "value" in e:
            env[e["name"]] = e["value"]
        else:
            fail(f"env {e['name']} comes from the cluster, and the test gives no value for it")
    return env


def localize(word, mounts, throng):
    for path, local in mounts.items():
        word = re.sub(r"(?<![\w/])" + re.escape(path) + r"(?=/|$|\s)", local, word)
    return word


def command_of(container, env, mounts, throng):
    """The container's command line (the image's entrypoint is throng), with
    $(VAR) expanded, mount paths made local and throng the built one."""
    words = container.get("command", ["throng"]) + container.get("args", [])
    words = [localize(expand(w, env), mounts, throng) for w in words]
    if words[0] == "throng":
        words[0] = throng
    elif words[:2] == ["sh", "-c"]:
        words[2] = re.sub(r"(^|\s)throng(?=\s)", lambda m: m.group(1) + shlex.quote(throng), words[2])
    return words


def server_requests(addr):
    with urllib.request.urlopen(f"http://{addr}/status", timeout=5) as r:
        return json.load(r)["requests"]


def ledger(doc, where):
    t = doc["totals"]
    if t["sent"] != t["requests"] + t["faulted"] + t["cancelled"] + t["in_flight"]:
        fail(f"{where}: the ledger does not hold: sent {t['sent']}, answered {t['requests']}, "
             f"faulted {t['faulted']}, cancelled {t['cancelled']}, in flight {t['in_flight']}")


def buckets(hist):
    return {(b[0], b[1]): b[2] for b in hist.get("buckets", [])}


def main():
    throng, addr, folder, work = sys.argv[1:5]
    check_validator_refuses()
    objects = load_manifests(folder)

    jobs = [o for o in objects.values() if o["kind"] == "Job"]
    shards_job = next((j for j in jobs if j["spec"].get("completionMode") == "Indexed"), None)
    merge_job = next((j for j in jobs if j is not shards_job), None)
    if not shards_job or not merge_job:
        fail("examples/kubernetes needs an Indexed Job of shards and a Job that merges")
    spec = shards_job["spec"]
    n = spec.get("completions")
    if not n or spec.get("parallelism") != n:
        fail(f"the shards' Job: completions {n} and parallelism {spec.get('parallelism')} differ")
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    words = container.get("args", [])
    if f"$(JOB_COMPLETION_INDEX)/{n}" not in words or "--shard" not in words:
        fail(f"the shards' pods do not run --shard $(JOB_COMPLETION_INDEX)/{n}: {words}")
    if not any(w.startswith("/results/") and "$(JOB_COMPLETION_INDEX)" in w for w in words):
        fail("the shards' pods do not write /results/...$(JOB_COMPLETION_INDEX)...")

    # The volumes, local: a ConfigMap's files written out, a claim a folder
    # (one for every Job mounting it).
    mounts_of = {}
    for job in (shards_job, merge_job):
        pspec = job["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pspec.get("volumes", [])}
        mounts = {}
        for m in pspec["containers"][0].get("volumeMounts", []):
            v = volumes.get(m["name"])
            if v is None:
                fail(f"{job['metadata']['name']}: mount {m['name']} has no volume")
            if "configMap" in v:
                cm = objects.get(("ConfigMap", v["configMap"]["name"]))
                if cm is None:
                    fail(f"no ConfigMap {v['configMap']['name']} among the manifests")
                local = os.path.join(work, "cm-" + cm["metadata"]["name"])
                os.makedirs(local, exist_ok=True)
                for fname, text in cm.get("data", {}).items():
                    with open(os.path.join(local, fname), "w") as f:
                        f.write(text)
            elif "persistentVolumeClaim" in v:
                claim = v["persistentVolumeClaim"]["claimName"]
                if ("PersistentVolumeClaim", claim) not in objects:
                    fail(f"no PersistentVolumeClaim {claim} among the manifests")
                local = os.path.join(work, "pvc-" + claim)
                os.makedirs(local, exist_ok=True)
            else:
                fail(f"volume {m['name']}: only ConfigMaps and claims are run here")
            mounts[m["mountPath"]] = local
        mounts_of[job["metadata"]["name"]] = mounts

    # The shards, at once, starting together 2 s from now.
    start_at = int(time.time()) + 3
    cluster = {"TARGET": f"http://{addr}", "RUN_ID": f"local-{os.getpid()}",
               "START_AT": str(start_at), "DURATION": "30s", "REQUESTS": "3000"}
    before = server_requests(addr)
    procs = []
    for i in range(n):
        env = container_env(container, dict(cluster, JOB_COMPLETION_INDEX=str(i)))
        env["JOB_COMPLETION_INDEX"] = str(i)
        cmd = command_of(container, env, mounts_of[shards_job["metadata"]["name"]], throng)
        procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for cmd, p in procs:
        out, err = p.communicate(timeout=90)
        if p.returncode != 0:
            fail(f"shard exited {p.returncode}: {' '.join(cmd)}\n{err}{out[-2000:]}")
    served = server_requests(addr) - before

    results = mounts_of[shards_job["metadata"]["name"]]["/results"]
    shards = []
    for i in range(n):
        with open(os.path.join(results, f"shard-{i}.json")) as f:
            shards.append(json.load(f))
    for i, d in enumerate(shards):
        ledger(d, f"shard {i}")
        run = d["run"]
        if run["shard"] != i or run["shards"] != n or run["id"] != cluster["RUN_ID"]:
            fail(f"shard {i}'s report says run {run}")
        if run["start"] != start_at:
            fail(f"shard {i} started at {run['start']}, not the agreed {start_at}")

    # The merge Job's command line.
    mcont = merge_job["spec"]["template"]["spec"]["containers"][0]
    mcmd = command_of(mcont, container_env(mcont, {}), mounts_of[merge_job["metadata"]["name"]], throng)
    p = subprocess.run(mcmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"the merge exited {p.returncode}: {' '.join(mcmd)}\n{p.stderr}{p.stdout[-2000:]}")
    merged_path = os.path.join(results, "merged.json")
    with open(merged_path) as f:
        merged = json.load(f)
    ledger(merged, "the merged report")
    t = merged["totals"]
    # Every request the server answered was answered here, but for those
    # the run's end cancelled in flight (the server may have answered them).
    if not t["requests"] <= served <= t["requests"] + t["cancelled"] or t["faulted"]:
        fail(f"merged: {t['sent']} sent, {t['requests']} answered, {t['cancelled']} cancelled, "
             f"{t['faulted']} faulted; the server answered {served}")
    if t["sent"] != 3000:
        fail(f"merged: {t['sent']} sent, the run's request limit is 3000")
    if merged["run"].get("missing") != [] or merged["run"]["shards"] != n:
        fail(f"merged run: {merged['run']}")
    want = {}
    for d in shards:
        for k, c in buckets(d["totals"]["latency"]).items():
            want[k] = want.get(k, 0) + c
    if buckets(t["latency"]) != want:
        fail("the merged latency histogram is not the shards' sum, bucket by bucket")
    if sum(want.values()) != t["latency"]["count"]:
        fail("the merged latency count is not the sum of its buckets")
    for g in merged["groups"]:
        mine = sum(gs["clients"] for d in shards for gs in d["groups"] if gs["name"] == g["name"])
        if g["clients"] != mine:
            fail(f"group {g['name']}: {g['clients']} clients merged, the shards ran {mine}")

    # A threshold each shard passes and the whole fails.
    most = max(d["totals"]["requests"] for d in shards)
    files = [os.path.join(results, f"shard-{i}.json") for i in range(n)]
    expr = f"requests<={most}"
    for path in files:
        r = subprocess.run([throng, "report", path, "--threshold", expr], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{path} alone: {expr} should pass, exit status {r.returncode}\n{r.stderr}")
    r = subprocess.run([throng, "report", "--merge"] + files + ["--threshold", expr],
                       capture_output=True, text=True)
    if r.returncode != 5 or "FAILED" not in r.stdout:
        fail(f"merged: {expr} should fail the whole ({t['requests']} requests) with status 5, "
             f"got {r.returncode}\n{r.stdout[-1500:]}{r.stderr}")
    # A shard missing is refused, naming it; --partial merges and says so.
    r = subprocess.run([throng, "report"] + files[:-1], capture_output=True, text=True)
    if r.returncode != 2 or f"shard {n - 1} of {n} missing" not in r.stderr:
        fail(f"a missing shard was not refused: {r.returncode} {r.stderr}")
    r = subprocess.run([throng, "report", "--partial"] + files[:-1], capture_output=True, text=True)
    if r.returncode != 0 or f"missing {n - 1}" not in r.stdout:
        fail(f"--partial: {r.returncode} {r.stdout[:400]} {r.stderr}")
    print(f"ok: {len(objects)} objects valid; {n} shards sent {t['sent']} requests "
          f"({t['requests']} answered, the server answered {served}), merged exactly")


if __name__ == "__main__":
    main()
