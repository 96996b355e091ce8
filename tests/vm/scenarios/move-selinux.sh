#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The move on a host with SELinux enabled (the selinux image: Debian's
# reference policy, booted permissive), onto the "EBS" volume: the plan
# lists the labelling, the move adds the equivalence rule "NEW = OLD" and
# relabels, and afterwards every file under the new data root carries the
# label the policy gives the same path under the old one (matchpathcon),
# which status confirms; rollback removes the rule, after which the policy
# labels the new root as any directory there again.
# vm-options: --image selinux --boot-timeout 1500

. "$VM_LIB"

OLD=/var/lib/docker
NEW=/mnt/docker-data/docker

# The labels of every file under NEW (this filesystem only: a running
# container's overlay and shm mounts are not the tree's) compared with what
# the policy gives the same path under OLD; prints "checked N" and one line
# per file that differs.
compare_labels() {
        python3 - "$NEW" "$OLD" <<'PY'
import os, subprocess, sys
new, old = sys.argv[1], sys.argv[2]
dev = os.lstat(new).st_dev
paths = [new]
for d, dirs, files in os.walk(new):
    dirs[:] = [x for x in dirs if os.lstat(os.path.join(d, x)).st_dev == dev]
    paths += [os.path.join(d, x) for x in dirs + files]
want = {}
for i in range(0, len(paths), 200):
    chunk = [old + p[len(new):] for p in paths[i:i + 200]]
    out = subprocess.run(["matchpathcon"] + chunk, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        path, _, ctx = line.partition("\t")
        want[path] = ctx.strip()
bad = 0
for p in paths:
    got = os.getxattr(p, "security.selinux", follow_symlinks=False).rstrip(b"\0").decode()
    w = want.get(old + p[len(new):])
    if got != w:
        bad += 1
        if bad <= 10:
            print("differs: %s is %s, the policy gives %s %s" % (p, got, old + p[len(new):], w))
print("checked %d" % len(paths))
PY
}

is "$(cat /sys/fs/selinux/enforce 2>&1)" 0 "SELinux is enabled and permissive"
ok 'command -v semanage && command -v restorecon && command -v matchpathcon' \
        "semanage, restorecon and matchpathcon are installed"
docker_populate
fingerprint=$(docker_fingerprint)
# The configuration's files and directories, which the rollback of the
# finished move gives back exactly: what the move created (the
# RequiresMountsFor drop-in, the directory it is in) goes.
config_paths() { find /etc/docker /etc/systemd/system/docker.service.d 2>/dev/null | sort; }
config_before=$(config_paths)
ok '[ ! -e /etc/systemd/system/docker.service.d ]' "no drop-in directory for docker.service before the move"

docker-relocate status --json >/root/status0.json 2>/dev/null
is "$(json_get '[j["selinux"]["mode"], j["selinux"]["tools"]]' /root/status0.json 2>&1)" \
        '["permissive", {"matchpathcon": true, "restorecon": true, "semanage": true}]' \
        "status: permissive, the tools there"

start=$SECONDS
docker-relocate move --device vol-0123456789abcdef0 --yes --json >/root/move.json 2>/root/move.err
rc=$?
is "$rc" 0 "move --device exits 0" || diag "$(tail -n 20 /root/move.err)"
diag "the move took $((SECONDS - start)) s"
is "$(json_get '[s for s in j["plan"]["steps"] if "SELinux" in s]' /root/move.json 2>&1)" \
        "[\"Label $NEW for SELinux as $OLD: 'semanage fcontext -a -e $OLD $NEW' (unless that rule exists), then 'restorecon -R $NEW'\"]" \
        "the plan lists the labelling"
is "$(json_get '[s["name"] for s in j["steps"] if "selinux" in s["name"]]' /root/move.json 2>&1)" '["selinux-label"]' \
        "the labelling ran"
is "$(docker_info '{{.DockerRootDir}}')" "$NEW" "docker info: the new root dir"
ok '[ -d /etc/systemd/system/docker.service.d ]' "the move made the drop-in directory"
is "$(semanage fcontext -l -C -n | grep ' = ')" "$NEW = $OLD" "the equivalence rule labels $NEW as $OLD"

result=$(compare_labels 2>&1)
is "$(echo "$result" | grep -c '^differs')" 0 "every label under $NEW is the policy's for the same path under $OLD" ||
        diag "$result"
checked=$(echo "$result" | sed -n 's/^checked //p')
ok '[ "${checked:-0}" -ge 100 ]' "at least 100 files checked ($checked)" || diag "$result"
diag "$NEW is labelled $(stat -c %C "$NEW"), $NEW/overlay2 $(stat -c %C "$NEW/overlay2")"
is "$(matchpathcon -n "$NEW/overlay2")" "$(matchpathcon -n "$OLD/overlay2")" \
        "matchpathcon: $NEW/overlay2 as $OLD/overlay2"

docker-relocate status --json >/root/status1.json 2>/dev/null
is "$(json_get '[j["selinux"]["labels"]["path"], j["selinux"]["labels"]["match"]]' /root/status1.json 2>&1)" \
        "[\"$NEW\", true]" "status: the labels of the data root match the policy" ||
        diag "$(json_get 'j["selinux"]' /root/status1.json 2>&1)"
is "$(docker_fingerprint)" "$fingerprint" "images, containers, volumes unchanged"

start=$SECONDS
docker-relocate rollback --yes --json >/root/rollback.json 2>/root/rollback.err
rc=$?
is "$rc" 0 "rollback exits 0" || diag "$(tail -n 20 /root/rollback.err)"
diag "the rollback took $((SECONDS - start)) s"
is "$(docker_info '{{.DockerRootDir}}')" "$OLD" "docker info: the old root dir again"
is "$(config_paths)" "$config_before" "the configuration's files and directories are as before the move"
is "$(semanage fcontext -l -C -n | grep -c ' = ')" 0 "the equivalence rule is gone"
isnt "$(matchpathcon -n "$NEW/overlay2")" "$(matchpathcon -n "$OLD/overlay2")" \
        "matchpathcon: $NEW/overlay2 is no longer labelled as $OLD/overlay2"
is "$(json_get 'j["warnings"]' /root/rollback.json 2>&1)" "[]" "rollback warns of nothing"
