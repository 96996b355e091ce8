# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A throwaway dockerd for root tests, started the way a SysV host starts it:
# through /etc/init.d/docker, with DOCKER_OPTS from /etc/default/docker. All of
# it lives in the caller's private mount namespace: tmpfs on /run (socket,
# pidfiles, exec root), temporary files bind-mounted over /etc/default/docker,
# /etc/docker and /etc/init.d/docker, and a data root in a temporary directory.
# The machine's own Docker configuration and data are never touched.
#
# Usage from a test script (tests/lib/tap.sh comes with it):
#
#   . "$(dirname "$0")/lib-dockerd.sh"
#   sandbox_enter "$@"                    # skip without root, re-exec privately
#   dockerd_private_system                # optional: private /etc and /var/lib
#   dockerd_setup                         # mounts, config, patched init script
#   dockerd_start                         # init script start, wait for the socket
#   dockerd_populate                      # images, containers, a volume
#
# dockerd_setup puts dockerd_teardown on the exit stack: at exit the daemon,
# its containerd and the containers' shims end (by PID) before the sandbox
# undoes the mounts and removes $WORK.
#
# Knobs, set before dockerd_setup:
#   DOCKERD_TMP        work directory (default: $WORK/dockerd)
#   DOCKERD_DATA_ROOT  the data root (default: $DOCKERD_TMP/data-root)
#   DOCKERD_CONFIG     where the data root is configured:
#                        opts     --data-root in DOCKER_OPTS (default)
#                        json     "data-root" in /etc/docker/daemon.json
#                        default  nothing: dockerd uses /var/lib/docker, over
#                                 which the harness bind-mounts DOCKERD_DATA_ROOT
#                                 (unless the test made it a symlink or a
#                                 mount point in its private /var/lib)
#   DOCKERD_EXTRA_OPTS more dockerd flags for DOCKER_OPTS
#
# What containers need on these machines: --network none (the daemon runs
# with --bridge=none and no iptables), nothing else; cgroup v1 as mounted
# works, AppArmor is absent, the default seccomp profile loads. Start takes
# about 1 s, populate 2 to 5 s.
#
# After dockerd_populate these are set: DOCKERD_IMAGE (the imported base),
# DOCKERD_IMAGE_LAYERED (a commit with whiteouts, an opaque directory, a hard
# link and a sparse file), DOCKERD_RUNNING (a container running sleep with
# --restart unless-stopped, ending on SIGTERM), DOCKERD_STOPPED (an exited container),
# DOCKERD_VOLUME (a volume holding a file). dockerd_inventory prints what a
# move must keep, for a before/after comparison; dockerd_sets the same as one
# hash, dockerd_config_sum the configuration files', dockerd_running whether
# DOCKERD_RUNNING runs. relocate_phase reads the move's journal
# ($RELOCATE_STATE).

# shellcheck source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

DOCKERD_SOCK=/run/docker.sock
DOCKERD_PIDFILE=/run/docker.pid
DOCKERD_START_TIMEOUT=${DOCKERD_START_TIMEOUT:-90}
DOCKERD_STOP_TIMEOUT=${DOCKERD_STOP_TIMEOUT:-60}

dockerd_log() {
        echo "# $*"
}

# Mount over a path that must exist; files over files, dirs over dirs. In a
# private /etc (dockerd_private_system) files are written in place.
dockerd_bind() {
        if [ "${DOCKERD_PRIVATE_SYSTEM:-}" = 1 ] && [ -f "$1" ] && [ -f "$2" ]; then
                cat "$1" >"$2"
        else
                sandbox_bind "$1" "$2"
        fi
}

# Private, writable copies of /etc and /var/lib, for tests that let the
# product change system files: it renames files into place (fstab,
# /etc/default/docker), which a bind mount of a single file would refuse, and
# it keeps its journal under /var/lib/docker-relocate. The fstab there holds
# nothing of the machine's. After this, dockerd_setup writes its files into
# the copy instead of binding them.
dockerd_private_system() {
        sandbox_private_system || bail_out "lib-dockerd.sh: cannot make a private /etc and /var/lib"
        echo "# private fstab" >/etc/fstab
        DOCKERD_PRIVATE_SYSTEM=1
}

dockerd_setup() {
        sandbox_in_private_ns || bail_out "lib-dockerd.sh: not in a private mount namespace, refusing to mount"
        require 'command -v dockerd && command -v docker && [ -x /etc/init.d/docker ]' \
                "dockerd, the docker CLI and /etc/init.d/docker (package docker.io)"
        require '[ -x /bin/busybox ]' "/bin/busybox (package busybox-static)"
        DOCKERD_TMP=${DOCKERD_TMP:-$WORK/dockerd}
        DOCKERD_DATA_ROOT=${DOCKERD_DATA_ROOT:-$DOCKERD_TMP/data-root}
        DOCKERD_CONFIG=${DOCKERD_CONFIG:-opts}
        mkdir -p "$DOCKERD_TMP/etc-docker" "$DOCKERD_DATA_ROOT"

        # The daemon's socket, pidfiles, exec root and its own containerd's
        # state all go to /run: a fresh tmpfs keeps them private, and it
        # hides any host daemon's socket from the tests.
        sandbox_private_run || bail_out "lib-dockerd.sh: cannot mount a tmpfs on /run"
        on_exit dockerd_teardown

        local opts="--iptables=false --bridge=none --ip-masq=false ${DOCKERD_EXTRA_OPTS:-}"
        case "$DOCKERD_CONFIG" in
        opts)
                opts="$opts --data-root=$DOCKERD_DATA_ROOT"
                ;;
        json)
                printf '{\n\t"data-root": "%s"\n}\n' "$DOCKERD_DATA_ROOT" >"$DOCKERD_TMP/etc-docker/daemon.json"
                ;;
        default)
                dockerd_bind_var_lib_docker
                ;;
        *)
                bail_out "lib-dockerd.sh: DOCKERD_CONFIG=$DOCKERD_CONFIG"
                ;;
        esac
        dockerd_write_default "$opts"
        dockerd_bind "$DOCKERD_TMP/default-docker" /etc/default/docker &&
                dockerd_bind "$DOCKERD_TMP/etc-docker" /etc/docker || bail_out "lib-dockerd.sh: cannot bind the configuration"

        # Debian's script raises limits under "set -e"; root cannot raise
        # them on these machines, so the test runs a copy that tolerates it.
        sed -E 's/^([[:space:]]*ulimit .*)$/\1 || true/' /etc/init.d/docker >"$DOCKERD_TMP/init-docker"
        chmod 0755 "$DOCKERD_TMP/init-docker"
        dockerd_bind "$DOCKERD_TMP/init-docker" /etc/init.d/docker || bail_out "lib-dockerd.sh: cannot bind the init script"
}

# The init script sources /etc/default/docker after its own defaults, so the
# log file goes to the private /run as well. Written in place: the file is a
# bind mount, which a rename would fail on.
dockerd_write_default() {
        cat >"$DOCKERD_TMP/default-docker" <<EOT
DOCKER_OPTS="$1"
DOCKER_LOGFILE=/run/docker.log
EOT
        # A private /etc (dockerd_private_system) holds the file itself.
        if [ -n "${DOCKERD_PRIVATE_SYSTEM:-}" ]; then
                cat "$DOCKERD_TMP/default-docker" >/etc/default/docker
        fi
}

# Points the daemon at another data root the way the harness configured it
# (takes effect at the next start).
dockerd_set_data_root() {
        DOCKERD_DATA_ROOT=$1
        case "$DOCKERD_CONFIG" in
        opts)
                dockerd_write_default "--iptables=false --bridge=none --ip-masq=false ${DOCKERD_EXTRA_OPTS:-} --data-root=$1"
                ;;
        json)
                printf '{\n\t"data-root": "%s"\n}\n' "$1" >/etc/docker/daemon.json
                ;;
        *)
                echo "# dockerd_set_data_root: not with DOCKERD_CONFIG=$DOCKERD_CONFIG"
                return 1
                ;;
        esac
}

# DOCKERD_CONFIG=default: dockerd uses /var/lib/docker. That directory may not
# exist on this machine and must not be created on it. A test that made it a
# symlink or a mount point itself (after dockerd_private_system) keeps it.
dockerd_bind_var_lib_docker() {
        if [ "${DOCKERD_PRIVATE_SYSTEM:-}" = 1 ] && { [ -L /var/lib/docker ] || mountpoint -q /var/lib/docker; }; then
                return 0
        fi
        if [ ! -d /var/lib/docker ]; then
                sandbox_private_var_lib || bail_out "lib-dockerd.sh: cannot make /var/lib private"
                mkdir /var/lib/docker
        fi
        dockerd_bind "$DOCKERD_DATA_ROOT" /var/lib/docker
}

dockerd_docker() {
        timeout 120 docker -H "unix://$DOCKERD_SOCK" "$@"
}

# Waits until the daemon answers on its socket, at most $1 seconds (default
# DOCKERD_START_TIMEOUT).
# shellcheck disable=SC2120
dockerd_wait_socket() {
        local deadline=$((SECONDS + ${1:-$DOCKERD_START_TIMEOUT}))
        while [ $SECONDS -lt $deadline ]; do
                if [ -S "$DOCKERD_SOCK" ] && timeout 5 docker -H "unix://$DOCKERD_SOCK" version >/dev/null 2>&1; then
                        return 0
                fi
                sleep 0.2
        done
        dockerd_log "dockerd did not answer on $DOCKERD_SOCK within ${1:-$DOCKERD_START_TIMEOUT}s; its log:"
        sed 's/^/#   /' /run/docker.log 2>/dev/null | tail -n 30
        return 1
}

dockerd_start() {
        local t0=$SECONDS
        # The script's complaints about ulimit are expected here; its output
        # is shown only when the start fails.
        if ! timeout "$DOCKERD_START_TIMEOUT" /etc/init.d/docker start >"$DOCKERD_TMP/init-start.log" 2>&1; then
                sed 's/^/#   /' "$DOCKERD_TMP/init-start.log"
                return 1
        fi
        dockerd_wait_socket || return 1
        dockerd_log "dockerd answered after $((SECONDS - t0))s"
}

# The daemon's PID, when its pidfile names a live dockerd (a stale pidfile's
# number may have been reused by another process).
dockerd_pid() {
        local p
        p=$(cat "$DOCKERD_PIDFILE" 2>/dev/null) || return 1
        [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ] && echo "$p"
}

# Waits (bounded) until the given PID is gone.
dockerd_wait_pid_gone() {
        local pid=$1 deadline=$((SECONDS + ${2:-$DOCKERD_STOP_TIMEOUT}))
        while [ -d "/proc/$pid" ] && [ $SECONDS -lt $deadline ]; do
                sleep 0.2
        done
        [ ! -d "/proc/$pid" ]
}

# Debian's script sends SIGKILL ten seconds after SIGTERM, too soon for a
# daemon still stopping slow containers; the daemon first gets SIGTERM and
# DOCKERD_STOP_TIMEOUT seconds, then the script tidies up its pidfile.
dockerd_stop() {
        local pid
        pid=$(dockerd_pid) || true
        if [ -n "$pid" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                dockerd_wait_pid_gone "$pid" || return 1
        fi
        timeout "$DOCKERD_STOP_TIMEOUT" /etc/init.d/docker stop >/dev/null 2>&1 || true
}

# A small root from busybox-static: enough for sh and the usual tools.
dockerd_make_rootfs() {
        local r=$1 t
        mkdir -p "$r/bin" "$r/etc/conf" "$r/data" "$r/tmp"
        cp /bin/busybox "$r/bin/busybox"
        for t in sh ls cat sleep rm echo mkdir ln dd touch true false sync stat; do
                ln -s busybox "$r/bin/$t"
        done
        echo base >"$r/etc/conf/a"
        echo base >"$r/etc/conf/b"
        echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
}

dockerd_populate() {
        local t0=$SECONDS c
        DOCKERD_IMAGE=relocate-test/base:1
        DOCKERD_IMAGE_LAYERED=relocate-test/layered:1
        DOCKERD_RUNNING=relocate-running
        DOCKERD_STOPPED=relocate-stopped
        DOCKERD_VOLUME=relocate-vol

        dockerd_make_rootfs "$DOCKERD_TMP/rootfs"
        tar -C "$DOCKERD_TMP/rootfs" -cf - . | dockerd_docker import - "$DOCKERD_IMAGE" >/dev/null || return 1

        # A container whose upper layer holds a whiteout (a deleted file), an
        # opaque directory (one deleted and made again), a hard link and a
        # sparse file; committed, so the layers of an image hold them too.
        c=relocate-layered-src
        dockerd_docker run --name "$c" --network none "$DOCKERD_IMAGE" sh -c '
                rm /etc/conf/a /bin/ls &&
                rm -r /etc/conf && mkdir /etc/conf && echo new > /etc/conf/c &&
                echo linked > /data/one && ln /data/one /data/two &&
                dd if=/dev/zero of=/data/sparse bs=1 count=1 seek=16777215 2>/dev/null &&
                sync' || return 1
        dockerd_docker commit "$c" "$DOCKERD_IMAGE_LAYERED" >/dev/null || return 1

        dockerd_docker volume create "$DOCKERD_VOLUME" >/dev/null || return 1
        dockerd_docker run --rm --network none -v "$DOCKERD_VOLUME:/vol" "$DOCKERD_IMAGE" \
                sh -c 'echo volume-data > /vol/file' || return 1

        # As PID 1 of its container, a bare sleep would ignore SIGTERM and
        # hold every daemon stop for the full stop timeout; this one ends
        # on SIGTERM like a well-behaved service.
        dockerd_docker run -d --name "$DOCKERD_RUNNING" --network none --restart unless-stopped \
                -v "$DOCKERD_VOLUME:/vol" "$DOCKERD_IMAGE_LAYERED" \
                sh -c 'trap "exit 0" TERM; sleep 1000000 & wait' >/dev/null || return 1
        dockerd_docker run --name "$DOCKERD_STOPPED" --network none "$DOCKERD_IMAGE" true || return 1
        dockerd_log "populated in $((SECONDS - t0))s"
}

# What a move must keep, one sorted line per item: image ids, containers
# (id, name, state), volume names, and the volume's file. Compare the output
# before and after a move.
dockerd_inventory() {
        {
                dockerd_docker images -a --no-trunc --format 'image {{.ID}}' | sort -u
                dockerd_docker ps -a --no-trunc --format 'container {{.ID}} {{.Names}} {{.State}}' | sort
                dockerd_docker volume ls -q | sed 's/^/volume /' | sort
                if [ -n "${DOCKERD_VOLUME:-}" ]; then
                        echo "volume-file $(dockerd_docker run --rm --network none -v "$DOCKERD_VOLUME:/vol" \
                                "$DOCKERD_IMAGE" cat /vol/file)"
                fi
        }
}

# Whether $DOCKERD_RUNNING runs: "true" when it does.
dockerd_running() {
        dockerd_docker inspect -f '{{.State.Running}}' "$DOCKERD_RUNNING" 2>/dev/null
}

# The files that configure the data root here, one hash each, or "missing".
dockerd_config_sum() {
        local f
        for f in /etc/docker/daemon.json /etc/default/docker; do
                if [ -e "$f" ]; then sha256sum <"$f"; else echo "missing $f"; fi
        done
}

# ---- the move's record, for the crash and fault tests ----------------------

RELOCATE_STATE=/var/lib/docker-relocate/state.json

# The usual start of a move test: a private system whose dockerd runs on
# $WORK/old-root, configured through CONFIG (json, the default, or any
# DOCKERD_CONFIG), populated; the test bails out when that fails.
dockerd_running_populated() {
        dockerd_private_system
        DOCKERD_DATA_ROOT=$WORK/old-root
        DOCKERD_CONFIG=${1:-json}
        dockerd_setup
        dockerd_start || bail_out "dockerd did not start"
        dockerd_populate || bail_out "populating failed"
}

# What rsync would still do from the old root ($1) to a move's copy ($2), less the tool's
# marker and the container configurations the move rewrites (and their
# directories' times).
move_left_to_do() {
        rsync -n -x -aHAXS --numeric-ids --checksum -i --delete "$1/" "$2/" 2>&1 |
                grep -vE '^\*deleting +\.docker-relocate-copy$' |
                grep -vE '^[.>]f[^ ]* containers/[0-9a-f]{64}/config\.v2\.json$' |
                grep -vE '^\.d[^ ]* containers/[0-9a-f]{64}/$'
}

# The phase the journal records, or nothing without one.
relocate_phase() {
        json_get 'j["phase"]' "$RELOCATE_STATE" 2>/dev/null
}

# The crash and fault tests drive the hooks of a test build
# (-Dfault_injection=true); without them the whole test skips, and fails
# under CI, whose builds have them (tools/test-all.sh).
dockerd_require_fault_injection() {
        [ "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" = 1 ] && return 0
        if tap_under_ci; then
                is "${DOCKER_RELOCATE_FAULT_INJECTION:-0}" 1 "the binary is built with -Dfault_injection=true"
                done_testing
        fi
        skip_all "the binary is built without -Dfault_injection=true"
}

# The image, container and volume ids as one hash: cheaper than
# dockerd_inventory (no container run), for checks repeated many times.
dockerd_sets() {
        {
                dockerd_docker images -aq --no-trunc | sort -u
                dockerd_docker ps -aq --no-trunc | sort
                dockerd_docker volume ls -q | sort
        } | sha256sum
}

# The data root the running daemon reports (docker info).
dockerd_root_dir() {
        dockerd_docker info --format '{{.DockerRootDir}}'
}

# A daemon killed while it stopped its containers (Debian's script sends
# SIGKILL after 10 s) leaves containerd shims and their containers behind.
# Those this namespace's daemon started are the shims in this very mount
# namespace: their children (the containers' init) and then they are killed,
# by PID; nothing else is.
dockerd_kill_leftover_shims() {
        local ns p pid c comm
        ns=$(readlink /proc/self/ns/mnt)
        for p in /proc/[0-9]*; do
                pid=${p#/proc/}
                [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
                comm=$(cat "$p/comm" 2>/dev/null) || continue
                case "$comm" in
                containerd-shim*) ;;
                *) continue ;;
                esac
                dockerd_log "killing leftover $comm $pid and its container"
                for c in $(cat "$p"/task/*/children 2>/dev/null); do
                        kill -KILL "$c" 2>/dev/null || true
                done
                kill -KILL "$pid" 2>/dev/null || true
        done
}

# On the exit stack (dockerd_setup puts it there): stop the daemon through its
# script; as a last resort kill the daemon and its own containerd by the PIDs
# in their pidfiles (only those). The sandbox then undoes the mounts.
dockerd_teardown() {
        local pid cpid
        sandbox_in_private_ns || return 0
        pid=$(dockerd_pid) || true
        cpid=$(cat /run/docker/containerd/containerd.pid 2>/dev/null) || true
        if [ -n "$pid" ]; then
                kill -TERM "$pid" 2>/dev/null || true
                dockerd_wait_pid_gone "$pid" || true
                timeout "$DOCKERD_STOP_TIMEOUT" /etc/init.d/docker stop >/dev/null 2>&1 || true
                if ! dockerd_wait_pid_gone "$pid" 10; then
                        dockerd_log "dockerd $pid did not stop, killing it"
                        kill -KILL "$pid" 2>/dev/null || true
                        dockerd_wait_pid_gone "$pid" 10 || true
                fi
        fi
        if [ -n "$cpid" ] && [ -d "/proc/$cpid" ]; then
                kill -TERM "$cpid" 2>/dev/null || true
                dockerd_wait_pid_gone "$cpid" 10 || kill -KILL "$cpid" 2>/dev/null || true
        fi
        # Container shims outlive a daemon that was killed, and with them
        # their containers, mounts and loop devices.
        dockerd_kill_leftover_shims
}

