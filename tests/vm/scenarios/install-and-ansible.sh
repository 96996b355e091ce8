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

check "dpkg -i of the package early in boot" test "$(cat "$VM_STATE/deb-install.status" 2>&1)" = 0 ||
        diag "$(tail -n 20 "$VM_STATE/deb-install.log" 2>&1)"
read -r t0 t1 <"$VM_STATE/deb-install.uptime" 2>/dev/null
diag "dpkg -i took $(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%.1f", b - a }') s (uptime $t0 to $t1)"
version=$(docker-relocate --version 2>&1 | awk '{ print $2 }')
is "dpkg: installed, the binary's version" "$(dpkg-query -W -f '${Status} ${Version}' docker-relocate 2>&1)" \
        "install ok installed $version"
is "docker-relocate is the packaged one" "$(command -v docker-relocate)" /usr/sbin/docker-relocate
check "no bare binary besides it" test ! -e /usr/local/sbin/docker-relocate
plugin=/usr/libexec/docker/cli-plugins/docker-relocate
is "the CLI plugin link is the package's, relative" "$(dpkg -S "$plugin" 2>&1 | cut -d: -f1) $(readlink "$plugin")" \
        "docker-relocate ../../../sbin/docker-relocate"
is "the unit is installed, not enabled, not started" \
        "$(systemctl is-enabled docker-relocate-move.service 2>&1) $(systemctl show -P ActiveState docker-relocate-move.service)" \
        "disabled inactive"
check "the unit passes systemd-analyze verify" systemd-analyze verify docker-relocate-move.service

man_page() {
        MANWIDTH=200 LC_ALL=C man docker-relocate 2>/dev/null
}
check "man docker-relocate finds the page" man -w docker-relocate
page=$(man_page)
for section in SYNOPSIS COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
        check "the man page has $section" grep -q "^$section" <<<"$page"
done
missing=$(docker-relocate --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r o; do
        grep -qF -- "$o" <<<"$page" || echo "$o"
done)
is "every option of --help is in the installed man page" "$missing" ""

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
is "completion: the commands" "$(complete_words docker-relocate "")" \
        "cleanup disks grow move prepare rollback set-data-root status "
out=$(complete_words docker-relocate move --device "")
check "completion: move --device offers the volume by its id" grep -qw vol-0123456789abcdef0 <<<"$out" ||
        diag "offered: $out"
check "completion: and by its device node" grep -qw "/dev/$(ebs_disk)" <<<"$out"

check "docker --help lists the relocate plugin" sh -c 'docker --help | grep -qE "^  relocate\*? +Move Docker"'
is "docker relocate --version" "$(docker relocate --version 2>&1)" "$(docker-relocate --version 2>&1)"
out=$(docker relocate status 2>&1)
rc=$?
is "docker relocate status exits 0" "$rc" 0 || diag "$out"
check "docker relocate status names the data root" grep -q /var/lib/docker <<<"$out"

# ---- Ansible -----------------------------------------------------------------

docker_populate
fingerprint=$(docker_fingerprint)

# The collection as users get it: a tarball, installed offline.
export HOME=/root
check "ansible-galaxy collection build" \
        ansible-galaxy collection build "$VM_PAYLOAD/contrib/ansible" --output-path /root/dist
check "ansible-galaxy collection install, offline" \
        ansible-galaxy collection install --offline /root/dist/docker_relocate-relocate-*.tar.gz
check "ansible-doc docker_relocate.relocate.docker_relocate" ansible-doc docker_relocate.relocate.docker_relocate
check "ansible-doc docker_relocate.relocate.docker_relocate_info" \
        ansible-doc docker_relocate.relocate.docker_relocate_info

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
    - name: a move killed after its live pre-copy
      ansible.builtin.command: docker-relocate move --to /mnt/docker-data/abandoned --yes
      environment:
        DOCKER_RELOCATE_TEST_CRASH: pre-copied
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

check "check mode: the play runs" play check playbook.yml --check --diff
is "check mode: the move task would change" "$(stats check)" "changed=1 failures=0"
is "check mode: the tool planned" "$(relocate check '["status"]')" planned
check "--diff: shows the new data root" grep -q "$NEW" <<<"$(relocate check '["diff"]["prepared"]')"
is "check mode: Docker still on /var/lib/docker" "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker
is "check mode: fstab, daemon.json, the volume and the tool's state untouched" "$(untouched)" "$before"

check "first run: the play runs" play run1 playbook.yml
is "first run: changed" "$(stats run1)" "changed=1 failures=0"
is "first run: the tool moved" "$(relocate run1 '["status"]')" done
is "first run: Docker on the volume" "$(docker_info '{{.DockerRootDir}}')" "$NEW"
is "first run: images, containers, volumes unchanged" "$(docker_fingerprint)" "$fingerprint"

check "second run: the play runs" play run2 playbook.yml
is "second run: nothing changed" "$(stats run2)" "changed=0 failures=0"
is "second run: the tool says unchanged" "$(relocate run2 '["status"]')" unchanged

# ---- every state ------------------------------------------------------------------

check "states: the play runs" play states states.yml
is "states: no task failed" "$(stats states | sed 's/changed=[0-9]* //')" "failures=0"

is "rolled_back, check: would change" "$(outcome states "rolled_back, check")" "ok changed=True"
is "rolled_back, check: Docker still on the volume" "$(task states "root after rolled_back, check" '["stdout"]')" "$NEW"
is "rolled_back: changed" "$(outcome states "rolled_back")" "ok changed=True"
is "rolled_back again: ok" "$(outcome states "rolled_back again")" "ok changed=False"
is "rolled_back again, check: ok" "$(outcome states "rolled_back again, check")" "ok changed=False"
is "rolled_back: Docker on /var/lib/docker" "$(task states "root after rolled_back" '["stdout"]')" /var/lib/docker

is "an interrupted move, abandoned by hand" "$(outcome states "abandoned by hand")" "ok changed=True"
is "rolled_back after the abandoned move: ok" "$(outcome states "rolled_back after an abandoned move")" \
        "ok changed=False"
is "rolled_back after the abandoned move, check: ok" \
        "$(outcome states "rolled_back after an abandoned move, check")" "ok changed=False"
is "the tool's record says rolled-back" \
        "$(task states "rolled_back after an abandoned move" '["last_move"]["phase"]')" rolled-back

is "moved, check: would change" "$(outcome states "moved to a directory, check")" "ok changed=True"
is "moved: changed" "$(outcome states "moved to a directory")" "ok changed=True"
is "moved again: ok" "$(outcome states "moved to a directory again")" "ok changed=False"
is "moved again, check: ok" "$(outcome states "moved to a directory again, check")" "ok changed=False"

is "cleaned, check: would change" "$(outcome states "cleaned, check")" "ok changed=True"
is "cleaned, check: the old root is still there" "$(task states "old root after cleaned, check" '["stat"]["exists"]')" true
is "cleaned: changed" "$(outcome states "cleaned")" "ok changed=True"
is "cleaned: the old root is gone" "$(task states "old root after cleaned" '["stat"]["exists"]')" false
is "cleaned again: ok" "$(outcome states "cleaned again")" "ok changed=False"
is "cleaned again, check: ok" "$(outcome states "cleaned again, check")" "ok changed=False"

is "configured, check: would change" "$(outcome states "configured, check")" "ok changed=True"
check "configured, check: --diff shows the data root" grep -q /srv/baked \
        <<<"$(task states "configured, check" '["diff"]["prepared"]')"
is "configured, check: the offline daemon.json untouched" \
        "$(task states "offline daemon.json after configured, check" '["content"]' | base64 -d)" \
        '{"log-driver": "json-file"}'
is "configured: changed" "$(outcome states "configured")" "ok changed=True"
check "configured: the offline daemon.json has the data root" grep -q '"data-root": *"/srv/baked"' \
        <<<"$(task states "offline daemon.json after configured" '["content"]' | base64 -d)"
is "configured again: ok" "$(outcome states "configured again")" "ok changed=False"
is "configured again, check: ok" "$(outcome states "configured again, check")" "ok changed=False"

is "info: ok, unchanged" "$(outcome states "info") $(outcome states "info, check")" \
        "ok changed=False ok changed=False"
is "info: the data root Docker runs on" "$(task states "info" '["status"]["data_root"]["path"]')" \
        /mnt/docker-data/docker3
check "info: the disks, with the volume by its id" grep -qw vol-0123456789abcdef0 \
        <<<"$(task states "info" '["disks"]')"
is "info: the last move" "$(task states "info" '["last_move"]["phase"]')" cleaned
is "info of the offline tree" "$(task states "info of the offline tree" '["status"]["data_root"]["path"]')" /srv/baked
is "Docker runs on the last move's root" "$(docker_info '{{.DockerRootDir}}')" /mnt/docker-data/docker3
is "images, containers, volumes unchanged through all of it" "$(docker_fingerprint)" "$fingerprint"
docker_check_populated
