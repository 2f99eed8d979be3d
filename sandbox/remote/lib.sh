# Shared by sandbox/remote/hosts.sh and controller.sh (sourced, not run): the remote test hosts'
# names, addresses and files. inventories/remote/hosts.yml carries the same addresses.
# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this file

# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
load_images

# Apart from the sandbox's 172.29.62.0/24; in the last of Docker's default pools (172.17-31.0.0/16), which an
# engine only reaches after 14 automatic networks, and once this one exists it allocates around it.
REMOTE_NETWORK=bs-remote
REMOTE_SUBNET=172.31.250.0/24
# Containers without a fixed address (the controller) get one from here, never a host's .11/.12.
REMOTE_IP_RANGE=172.31.250.128/25
HOSTS=(bs-host-1 bs-host-2)
declare -A HOST_IP=([bs-host-1]=172.31.250.11 [bs-host-2]=172.31.250.12)
# Everything hosts.sh creates carries this label: it only ever removes what has it.
REMOTE_LABEL=org.revisbali.sandbox.remote
REMOTE_CACHE=$CACHE_DIR/remote
KEY=$REMOTE_CACHE/id_ed25519
KNOWN_HOSTS=$REMOTE_CACHE/known_hosts
SSH_CONFIG=$REMOTE_CACHE/ssh_config
# Where a host keeps its copy of sandbox/ and runs the stack (the same path as the local sandbox's default).
HOST_SANDBOX=/opt/bs-sandbox/sandbox
HOST_STACK_DIR=/srv/business_suite
# What the stack inside a host runs (up.sh checks the same list).
STACK_IMAGES=(POSTGRES_IMAGE MEMCACHED_IMAGE REDIS_IMAGE APP_MEMCACHED_IMAGE APP_REDIS_IMAGE FRONTEND_IMAGE STUB_IMAGE)

volume_of() { printf '%s-docker\n' "$1"; }
