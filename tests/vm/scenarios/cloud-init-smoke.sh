#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The image can run what the cloud-init and Ansible scenarios need: user-data
# from a NoCloud seed (cloud-init-smoke.user-data) runs at first boot, the
# binary under test is already installed when it does, and Ansible runs a
# local play. A seed costs boot time (cloud-init is ordered before Docker),
# which is why the plain smoke scenario has none.

. "$VM_LIB"

ok 'cloud-init status --long' "cloud-init finished without errors" ||
        diag "$(grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 20)"
ok 'grep -q docker-relocate /var/lib/vm-cloud-init-ran' "user-data ran docker-relocate"
ok 'systemctl is-active docker.service' "docker.service is active"
active=$(systemctl show -P ActiveEnterTimestampMonotonic docker.service)
diag "docker.service active $((active / 1000000)) s after boot"

cat >/root/play.yml <<'PLAY'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - command: docker-relocate --version
      register: v
      changed_when: false
    - copy:
        content: "{{ v.stdout }}\n"
        dest: /root/ansible-ran
PLAY
ok 'ansible-playbook -i localhost, /root/play.yml' "ansible-playbook runs a local play"
ok 'grep -q docker-relocate /root/ansible-ran' "the play called docker-relocate"
