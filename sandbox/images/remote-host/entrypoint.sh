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
#
# A restarted host keeps its container filesystem, so the last run's runtime state is still in /var/run.
# A stale containerd.pid whose number now belongs to another process (pids repeat from 1 in a new pid
# namespace) makes dockerd take containerd for running, dial its dead socket and exit: none of it is
# data (that lives on the volume), so all of it goes.
rm -rf /var/run/docker /var/run/docker.pid /var/run/docker.sock
echo "=== $(date -u +%FT%TZ) dockerd starting" >>/var/log/dockerd.log
dockerd --storage-driver=overlay2 --cgroup-parent="/${HOSTNAME}" >>/var/log/dockerd.log 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
# wait returns early when a trapped signal arrives: wait again until dockerd itself has gone, then exit
# with its status, so `docker ps -a` shows an engine that failed as a failure.
status=0
while kill -0 "$pid" 2>/dev/null; do
  status=0
  wait "$pid" || status=$?
done
echo "=== $(date -u +%FT%TZ) dockerd exited with status $status" >>/var/log/dockerd.log
exit "$status"
