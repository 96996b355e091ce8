#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The tool as users get it and drive it. What "meson install" installs
# (staged with --destdir, unpacked onto the VM as a package would be) works
# on a real Debian system: "man docker-relocate" through man-db, the bash
# completion through bash-completion's on-demand loading (offering the NVMe
# volume by its id), and "docker relocate" through Debian's docker CLI.
# Then Debian's ansible-core runs contrib/ansible/playbook.yml against the
# VM (local connection, become through sudo): check mode changes nothing,
# the first run moves Docker (changed), the second is unchanged, and the
# module's rolled_back state undoes the move, once.
# vm-options: --meson-install --boot-timeout 900

. "$VM_LIB"

NEW=/mnt/docker-data/docker

# ---- meson install -------------------------------------------------------------

ok '[ -z "$(command -v docker-relocate)" ]' "no docker-relocate before the install"
ok 'cp -a "$VM_PAYLOAD/destdir/." /' "meson's install tree unpacked onto /"
hash -r
ok 'docker-relocate --version' "docker-relocate is on PATH"

man_page() {
        MANWIDTH=200 LC_ALL=C man docker-relocate 2>/dev/null
}
ok 'man -w docker-relocate' "man docker-relocate finds the page"
page=$(man_page)
for section in SYNOPSIS COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
        ok 'grep -q "^$section" <<<"$page"' "the man page has $section"
done
# The options of --help not in the page; a --help that lists none is no pass.
options=$(docker-relocate --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
missing=$(while read -r o; do grep -qF -- "$o" <<<"$page" || echo "$o"; done <<<"${options:-(--help lists no option)}")
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
is "$(complete_words docker-relocate "")" "cleanup disks grow move prepare rollback set-data-root status " \
        "completion: the commands"
out=$(complete_words docker-relocate move --device "")
ok 'grep -qw vol-0123456789abcdef0 <<<"$out"' "completion: move --device offers the volume by its id" ||
        diag "offered: $out"
ok 'grep -qw "/dev/$(ebs_disk)" <<<"$out"' "completion: and by its device node"

like "$(docker --help)" '^  relocate\*? +Move Docker' "docker --help lists the relocate plugin"
is "$(docker relocate --version 2>&1)" "$(docker-relocate --version 2>&1)" "docker relocate --version"
out=$(docker relocate status 2>&1)
rc=$?
is "$rc" 0 "docker relocate status exits 0" || diag "$out"
ok 'grep -q /var/lib/docker <<<"$out"' "docker relocate status names the data root"

# ---- Ansible -----------------------------------------------------------------

docker_populate
fingerprint=$(docker_fingerprint)

cp -r "$VM_PAYLOAD/contrib/ansible" /root/ansible
cat >/root/ansible/inventory <<'INV'
[docker_hosts]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 docker_volume=vol-0123456789abcdef0
INV
cat >/root/ansible/rollback.yml <<'PLAY'
- hosts: docker_hosts
  become: true
  tasks:
    - name: Roll the move back
      docker_relocate:
        state: rolled_back
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
# relocate NAME EXPR: EXPR on the result of the play's docker_relocate task.
relocate() {
        json_get "[t[\"result\"] for t in j[\"tasks\"] if t[\"task\"] in
                   (\"Move the data root (the volume may still be attaching)\", \"Roll the move back\")][0]$2" \
                <"/root/$1.json"
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
is "$(relocate run1 '["status"]')" done "first run: the tool moved"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "first run: Docker on the volume"
is "$(docker_fingerprint)" "$fingerprint" "first run: images, containers, volumes unchanged"

ok 'play run2 playbook.yml' "second run: the play runs"
is "$(stats run2)" "changed=0 failures=0" "second run: nothing changed"
is "$(relocate run2 '["status"]')" unchanged "second run: the tool says unchanged"

ok 'play rollback1 rollback.yml' "rollback: the play runs"
is "$(stats rollback1)" "changed=1 failures=0" "rollback: changed"
is "$(docker_info '{{.DockerRootDir}}')" /var/lib/docker "rollback: Docker back on /var/lib/docker"
is "$(docker_fingerprint)" "$fingerprint" "rollback: images, containers, volumes unchanged"
ok 'play rollback2 rollback.yml' "rollback again: the play runs"
is "$(stats rollback2)" "changed=0 failures=0" "rollback again: nothing changed"
docker_check_populated
