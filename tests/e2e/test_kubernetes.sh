#!/bin/bash
# test_kubernetes.sh - examples/kubernetes/ (issue 16, point 3): each
# manifest validated offline against the Kubernetes API models of its kind
# (python3-kubernetes: unknown fields refused), then the Indexed Job's pod
# command lines run here as N shards against `throng serve` and merged by
# the merge Job's command line, exactly (tests/e2e/kubernetes_check.py).
. "$(dirname "$0")/lib.sh"

SOURCE=${THRONG_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
# Debian's python3-kubernetes (lib.sh puts Debian's python3 first).
if ! python3 -c 'import kubernetes, yaml' 2>/dev/null; then
    echo "SKIP: no python3 with the kubernetes and yaml modules (deps/install.sh test)"
    exit 77
fi
start_server K8S
timeout 170 python3 "$SOURCE/tests/e2e/kubernetes_check.py" "$THRONG" "$K8S_ADDR" \
    "$SOURCE/examples/kubernetes" "$WORK" || fail "the Kubernetes example, run here, failed"
