#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The tool as users get it and drive it. The Debian package built from this
# tree (debian/), installed early in boot with dpkg -i, works on a real
# Debian system: the files where dpkg put them, "man docker-relocate"
# through man-db, the bash completion through bash-completion's on-demand
# loading (offering the NVMe volume by its id), "docker relocate" through
# Debian's docker CLI, and the move unit installed but neither enabled nor
# started. Then the Ansible collection, built and installed offline with
# ansible-galaxy as users get it, under Debian's ansible-core (local
# connection, become through sudo): contrib/ansible/playbook.yml by its
# FQCN (check mode changes nothing, the first run moves Docker, the second
# is unchanged), and every state of the module: changed, then ok, and check
# mode changing nothing, for rolled_back (also after an interrupted move
# was abandoned), moved, cleaned and configured (an offline tree), and the
# info module.
# vm-options: --deb auto --boot-timeout 1500

. "$VM_LIB"

NEW=/mnt/docker-data/docker

# ---- the package ---------------------------------------------------------------

ok 'test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0' "dpkg -i of the package early in boot" ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"
read -r t0 t1 <"$VM_STATE/deb-install.uptime" 2>/dev/null
diag "dpkg -i took $(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%.1f", b - a }') s (uptime $t0 to $t1)"
version=$(docker-relocate --version 2>&1 | awk '{ print $2 }')
is "$(dpkg-query -W -f '${Status} ${Version}' docker-relocate 2>&1)" \
        "install ok installed $version" "dpkg: installed, the binary's version"
is "$(command -v docker-relocate)" /usr/sbin/docker-relocate "docker-relocate is the packaged one"
ok 'test ! -e /usr/local/sbin/docker-relocate' "no bare binary besides it"
plugin=/usr/libexec/docker/cli-plugins/docker-relocate
is "$(dpkg -S "$plugin" 2>&1 | cut -d: -f1) $(readlink "$plugin")" \
        "docker-relocate ../../../sbin/docker-relocate" "the CLI plugin link is the package's, relative"
is "$(systemctl is-enabled docker-relocate-move.service 2>&1) $(systemctl show -P ActiveState docker-relocate-move.service)" \
        "disabled inactive" \
        "the unit is installed, not enabled, not started"
ok 'systemd-analyze verify docker-relocate-move.service' "the unit passes systemd-analyze verify"

man_page() {
        MANWIDTH=200 LC_ALL=C man docker-relocate 2>/dev/null
}
ok 'man -w docker-relocate' "man docker-relocate finds the page"
page=$(man_page)
for section in SYNOPSIS COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
        ok 'grep -q "^$section" <<<"$page"' "the man page has $section"
done
missing=$(docker-relocate --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r o; do
        grep -qF -- "$o" <<<"$page" || echo "$o"
done)
is "$missing" "" "every option of --help is in the installed man page"

# Completion as bash runs it: bash-completion loads the installed file on the
# first TAB for docker-relocate, then readline's words go to its function.
complete_words() {
        bash -c '
                . /usr/share/bash-completion/bash_completion
                __load_completion docker-relocate || exit 1
                fn=$(complete -p docker-relocate | sed -E "s/.* -F ([^ ]+) .*/\1/")
                COMP_WORDS=("$@")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMP_LINE="$*"
                COMP_POINT=${#COMP_LINE}
                "$fn" docker-relocate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}"
        ' complete "$@" 2>&1 | sort | tr '\n' ' '
}
is "$(complete_words docker-relocate "")" \
        "cleanup disks grow move prepare rollback set-data-root status " "completion: the commands"
out=$(complete_words docker-relocate move --device "")
ok 'grep -qw vol-0123456789abcdef0 <<<"$out"' "completion: move --device offers the volume by its id" ||
        diag "offered: $out"
ok 'grep -qw "/dev/$(ebs_disk)" <<<"$out"' "completion: and by its device node"

like "$(docker --help 2>&1)" '^  relocate\*? +Move Docker' "docker --help lists the relocate plugin"
is "$(docker relocate --version 2>&1)" "$(docker-relocate --version 2>&1)" "docker relocate --version"
out=$(docker relocate status 2>&1)
rc=$?
is "$rc" 0 "docker relocate status exits 0" || diag "$out"
ok 'grep -q /var/lib/docker <<<"$out"' "docker relocate status names the data root"

# ---- Ansible -----------------------------------------------------------------

docker_populate
fingerprint=$(docker_fingerprint)

# The collection as users get it: a tarball, installed offline.
export HOME=/root
ok 'ansible-galaxy collection build "$VM_PAYLOAD/contrib/ansible" --output-path /root/dist' "ansible-galaxy collection build"
ok 'ansible-galaxy collection install --offline /root/dist/docker_relocate-relocate-*.tar.gz' "ansible-galaxy collection install, offline"
ok 'ansible-doc docker_relocate.relocate.docker_relocate' "ansible-doc docker_relocate.relocate.docker_relocate"
ok 'ansible-doc docker_relocate.relocate.docker_relocate_info' "ansible-doc docker_relocate.relocate.docker_relocate_info"

mkdir -p /root/ansible
cp "$VM_PAYLOAD/contrib/ansible/playbook.yml" /root/ansible/
cat >/root/ansible/inventory <<'INV'
[docker_hosts]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 docker_volume=vol-0123456789abcdef0
INV

# Every state, one after the other on this host: each run twice, and in
# check mode before and after. The commands between them make the
# situations a state must handle (an interrupted move that was abandoned,
# an offline tree to configure); the scenario judges each task's result.
cat >/root/ansible/states.yml <<'PLAY'
- name: Every state of docker_relocate, then docker_relocate_info
  hosts: docker_hosts
  become: true
  tasks:
    - name: rolled_back, check
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
      check_mode: true
    - name: root after rolled_back, check
      ansible.builtin.command: docker info --format "{% raw %}{{.DockerRootDir}}{% endraw %}"
      changed_when: false
    - name: rolled_back
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
    - name: rolled_back again
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
    - name: rolled_back again, check
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
      check_mode: true
    - name: root after rolled_back
      ansible.builtin.command: docker info --format "{% raw %}{{.DockerRootDir}}{% endraw %}"
      changed_when: false

    - name: an empty directory for a move to be interrupted
      ansible.builtin.file: {path: /mnt/docker-data/abandoned, state: directory, mode: "0711"}
    # The package has no test hooks: the move is killed from outside once
    # its journal says the live pre-copy is done.
    - name: a move killed after its live pre-copy
      ansible.builtin.shell: |
        docker-relocate move --to /mnt/docker-data/abandoned --yes & pid=$!
        for i in $(seq 1200); do
          phase=$(python3 -c 'import json; print(json.load(open("/var/lib/docker-relocate/state.json"))["phase"])' 2>/dev/null)
          [ "$phase" = precopied ] && break
          sleep 0.05
        done
        kill -9 "$pid"
        wait "$pid"
      args: {executable: /bin/bash}
      register: killed
      failed_when: killed.rc not in [-9, 137]
      changed_when: true
    - name: abandoned by hand
      ansible.builtin.command: docker-relocate rollback --yes --json
      changed_when: true
    - name: rolled_back after an abandoned move
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
    - name: rolled_back after an abandoned move, check
      docker_relocate.relocate.docker_relocate: {state: rolled_back}
      check_mode: true

    - name: an empty directory to move to
      ansible.builtin.file: {path: /mnt/docker-data/docker3, state: directory, mode: "0711"}
    - name: moved to a directory, check
      docker_relocate.relocate.docker_relocate: {to: /mnt/docker-data/docker3, pre_copy: false}
      check_mode: true
    - name: moved to a directory
      docker_relocate.relocate.docker_relocate: {to: /mnt/docker-data/docker3, pre_copy: false}
    - name: moved to a directory again
      docker_relocate.relocate.docker_relocate: {to: /mnt/docker-data/docker3, pre_copy: false}
    - name: moved to a directory again, check
      docker_relocate.relocate.docker_relocate: {to: /mnt/docker-data/docker3, pre_copy: false}
      check_mode: true

    - name: cleaned, check
      docker_relocate.relocate.docker_relocate: {state: cleaned}
      check_mode: true
    - name: old root after cleaned, check
      ansible.builtin.stat: {path: /var/lib/docker/image}
    - name: cleaned
      docker_relocate.relocate.docker_relocate: {state: cleaned}
    - name: old root after cleaned
      ansible.builtin.stat: {path: /var/lib/docker/image}
    - name: cleaned again
      docker_relocate.relocate.docker_relocate: {state: cleaned}
    - name: cleaned again, check
      docker_relocate.relocate.docker_relocate: {state: cleaned}
      check_mode: true

    - name: an offline system tree, as an image being baked has it
      ansible.builtin.file: {path: "{{ item }}", state: directory, mode: "0755"}
      loop: [/root/image/etc/docker, /root/image/lib/systemd/system]
    - name: its docker.service
      ansible.builtin.copy:
        src: /lib/systemd/system/docker.service
        dest: /root/image/lib/systemd/system/docker.service
        remote_src: true
        mode: "0644"
    - name: its daemon.json
      ansible.builtin.copy:
        dest: /root/image/etc/docker/daemon.json
        content: '{"log-driver": "json-file"}'
        mode: "0644"
    - name: configured, check
      docker_relocate.relocate.docker_relocate: {state: configured, root: /root/image, data_root: /srv/baked}
      check_mode: true
      diff: true
    - name: offline daemon.json after configured, check
      ansible.builtin.slurp: {src: /root/image/etc/docker/daemon.json}
    - name: configured
      docker_relocate.relocate.docker_relocate: {state: configured, root: /root/image, data_root: /srv/baked}
    - name: offline daemon.json after configured
      ansible.builtin.slurp: {src: /root/image/etc/docker/daemon.json}
    - name: configured again
      docker_relocate.relocate.docker_relocate: {state: configured, root: /root/image, data_root: /srv/baked}
    - name: configured again, check
      docker_relocate.relocate.docker_relocate: {state: configured, root: /root/image, data_root: /srv/baked}
      check_mode: true

    - name: info
      docker_relocate.relocate.docker_relocate_info:
    - name: info, check
      docker_relocate.relocate.docker_relocate_info:
      check_mode: true
    - name: info of the offline tree
      docker_relocate.relocate.docker_relocate_info: {root: /root/image, gather: [status]}
PLAY

# ansible-core alone has no JSON output (that callback lives in a
# collection): this one prints every task result and the stats as one JSON
# object at the end.
mkdir -p /root/callback
cat >/root/callback/results.py <<'PY'
import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "results"

    def __init__(self):
        super().__init__()
        self.tasks = []

    def _add(self, result, outcome):
        self.tasks.append({"task": result._task.get_name(), "outcome": outcome, "result": result._result})

    def v2_runner_on_ok(self, result):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._add(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        hosts = {h: stats.summarize(h) for h in sorted(stats.processed)}
        self._display.display(json.dumps({"tasks": self.tasks, "stats": hosts}, default=str))
PY

# play NAME PLAYBOOK [ARGS...]: ansible-playbook; its JSON result in
# /root/NAME.json, stderr in /root/NAME.err.
play() {
        local name=$1 rc
        shift
        (cd /root/ansible && HOME=/root ANSIBLE_CALLBACK_PLUGINS=/root/callback ANSIBLE_STDOUT_CALLBACK=results \
                ANSIBLE_NOCOLOR=1 timeout 600 ansible-playbook -i inventory "$@" >"/root/$name.json" 2>"/root/$name.err")
        rc=$?
        [ $rc = 0 ] || diag "ansible-playbook $*: exit status $rc" "$(tail -n 20 "/root/$name.err")" \
                "$(json_get '[t for t in j["tasks"] if t["outcome"] != "ok"]' <"/root/$name.json" 2>&1 | head -c 3000)"
        return $rc
}
# stats NAME: "changed=N failures=N" of the play.
stats() {
        json_get '"changed=%d failures=%d" % (j["stats"]["localhost"]["changed"], j["stats"]["localhost"]["failures"])' \
                <"/root/$1.json"
}
# relocate NAME EXPR: EXPR on the result of the playbook's docker_relocate task.
relocate() {
        task "$1" "Move the data root (the volume may still be attaching)" "$2"
}
# task NAME TASK EXPR: EXPR on the result of the task named TASK.
task() {
        json_get "[t[\"result\"] for t in j[\"tasks\"] if t[\"task\"] == \"$2\"][0]$3" <"/root/$1.json"
}
# outcome NAME TASK: "ok changed=BOOL" or "failed ..." of the task named TASK.
outcome() {
        json_get "[\"%s changed=%s\" % (t[\"outcome\"], t[\"result\"].get(\"changed\")) for t in j[\"tasks\"] if t[\"task\"] == \"$2\"][0]" \
                <"/root/$1.json" 2>&1
}
untouched() {
        sha256sum /etc/fstab /etc/docker/daemon.json 2>&1
        blkid -p "/dev/$(ebs_disk)" 2>&1
        ls /var/lib/docker-relocate 2>&1
}
before=$(untouched)

ok 'play check playbook.yml --check --diff' "check mode: the play runs"
is "$(stats check)" "changed=1 failures=0" "check mode: the move task would change"
is "$(relocate check '["status"]')" planned "check mode: the tool planned"
like "$(relocate check '["diff"]["prepared"]')" "$NEW" "--diff: shows the new data root"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "check mode: Docker still on /var/lib/docker"
is "$(untouched)" "$before" "check mode: fstab, daemon.json, the volume and the tool's state untouched"

ok 'play run1 playbook.yml' "first run: the play runs"
is "$(stats run1)" "changed=1 failures=0" "first run: changed"
is "$(relocate run1 '["status"]')" changed "first run: the tool moved"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "first run: Docker on the volume"
is "$(docker_fingerprint)" "$fingerprint" "first run: images, containers, volumes unchanged"

ok 'play run2 playbook.yml' "second run: the play runs"
is "$(stats run2)" "changed=0 failures=0" "second run: nothing changed"
is "$(relocate run2 '["status"]')" unchanged "second run: the tool says unchanged"

# ---- every state ------------------------------------------------------------------

ok 'play states states.yml' "states: the play runs"
is "$(stats states | sed 's/changed=[0-9]* //')" "failures=0" "states: no task failed"

is "$(outcome states "rolled_back, check")" "ok changed=True" "rolled_back, check: would change"
is "$(task states "root after rolled_back, check" '["stdout"]')" "$NEW" "rolled_back, check: Docker still on the volume"
is "$(outcome states "rolled_back")" "ok changed=True" "rolled_back: changed"
is "$(outcome states "rolled_back again")" "ok changed=False" "rolled_back again: ok"
is "$(outcome states "rolled_back again, check")" "ok changed=False" "rolled_back again, check: ok"
is "$(task states "root after rolled_back" '["stdout"]')" /var/lib/docker "rolled_back: Docker on /var/lib/docker"

is "$(outcome states "abandoned by hand")" "ok changed=True" "an interrupted move, abandoned by hand"
is "$(outcome states "rolled_back after an abandoned move")" \
        "ok changed=False" "rolled_back after the abandoned move: ok"
is "$(outcome states "rolled_back after an abandoned move, check")" "ok changed=False" \
        "rolled_back after the abandoned move, check: ok"
is "$(task states "rolled_back after an abandoned move" '["last_move"]["phase"]')" rolled-back \
        "the tool's record says rolled-back"

is "$(outcome states "moved to a directory, check")" "ok changed=True" "moved, check: would change"
is "$(outcome states "moved to a directory")" "ok changed=True" "moved: changed"
is "$(outcome states "moved to a directory again")" "ok changed=False" "moved again: ok"
is "$(outcome states "moved to a directory again, check")" "ok changed=False" "moved again, check: ok"

is "$(outcome states "cleaned, check")" "ok changed=True" "cleaned, check: would change"
is "$(task states "old root after cleaned, check" '["stat"]["exists"]')" true "cleaned, check: the old root is still there"
is "$(outcome states "cleaned")" "ok changed=True" "cleaned: changed"
is "$(task states "old root after cleaned" '["stat"]["exists"]')" false "cleaned: the old root is gone"
is "$(outcome states "cleaned again")" "ok changed=False" "cleaned again: ok"
is "$(outcome states "cleaned again, check")" "ok changed=False" "cleaned again, check: ok"

is "$(outcome states "configured, check")" "ok changed=True" "configured, check: would change"
like "$(task states "configured, check" '["diff"]["prepared"]')" /srv/baked "configured, check: --diff shows the data root"
is "$(task states "offline daemon.json after configured, check" '["content"]' | base64 -d)" \
        '{"log-driver": "json-file"}' \
        "configured, check: the offline daemon.json untouched"
is "$(outcome states "configured")" "ok changed=True" "configured: changed"
like "$(task states "offline daemon.json after configured" '["content"]' | base64 -d)" '"data-root": *"/srv/baked"' \
        "configured: the offline daemon.json has the data root"
is "$(outcome states "configured again")" "ok changed=False" "configured again: ok"
is "$(outcome states "configured again, check")" "ok changed=False" "configured again, check: ok"

is "$(outcome states "info") $(outcome states "info, check")" \
        "ok changed=False ok changed=False" "info: ok, unchanged"
is "$(task states "info" '["status"]["data_root"]["path"]')" \
        /mnt/docker-data/docker3 "info: the data root Docker runs on"
like "$(task states "info" '["disks"]')" '\<vol-0123456789abcdef0\>' "info: the disks, with the volume by its id"
is "$(task states "info" '["last_move"]["phase"]')" cleaned "info: the last move"
is "$(task states "info of the offline tree" '["status"]["data_root"]["path"]')" /srv/baked "info of the offline tree"
is "$(docker_info '{{.DockerRootDir}}')" /mnt/docker-data/docker3 "Docker runs on the last move's root"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged through all of it"
docker_check_populated
