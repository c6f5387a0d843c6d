#!/usr/bin/env bash
# Runs the sweep in sweep.yaml on the current kubectl context, merges it, and copies
# merged/sweep.csv to ./sweep.csv. Build and push the image first (deploy/Dockerfile) and point
# `image:` in both manifests at it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kubectl apply -f "$here/sweep.yaml"
kubectl wait --for=condition=complete --timeout=24h job/feedlab-sweep
kubectl apply -f "$here/merge.yaml"
kubectl wait --for=condition=complete --timeout=1h job/feedlab-merge
# A short-lived pod with the volume mounted, to copy the result out.
kubectl run feedlab-fetch --image=busybox --restart=Never \
    --overrides='{"spec":{"volumes":[{"name":"r","persistentVolumeClaim":{"claimName":"feedlab-results"}}],"containers":[{"name":"feedlab-fetch","image":"busybox","command":["sleep","600"],"volumeMounts":[{"name":"r","mountPath":"/results"}]}]}}'
kubectl wait --for=condition=ready --timeout=5m pod/feedlab-fetch
kubectl cp feedlab-fetch:/results/merged/sweep.csv ./sweep.csv
kubectl delete pod feedlab-fetch --wait=false
echo "sweep.csv copied; open it with: feedlab gui --sweep sweep.csv"
