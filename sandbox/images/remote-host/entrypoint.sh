#!/bin/bash
# PID 1 of a remote test host: starts sshd and the host's own dockerd, then waits on dockerd (so the
# container lives as long as its engine) and reaps orphans. SIGTERM (docker stop) stops dockerd
# cleanly, which stops the stack's containers first.
set -euo pipefail

# Host keys are made on the first start, not in the image: two hosts from one image must differ.
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
/usr/sbin/sshd -E /var/log/sshd.log

# overlay2 on the /var/lib/docker volume (a directory of the outer ext4, not an overlay itself).
# The engine keeps its own bridges and iptables rules in this container's network namespace, so the
# stack's compose networks work as on a real server. --cgroup-parent keeps its containers' cgroups apart
# from the outer engine's /docker ones in the shared cgroup v1 hierarchy.
rm -f /var/run/docker.pid
dockerd --storage-driver=overlay2 --cgroup-parent="/${HOSTNAME}" >/var/log/dockerd.log 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
# wait returns early when a trapped signal arrives: wait again until dockerd itself has gone.
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done
