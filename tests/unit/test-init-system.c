/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "config/init-system.h"
#include "tap.h"
#include "tree.h"

static InitSystem detect_with(const char *path, const char *content, const char *path2, const char *content2) {
        char *root = tree_new("test-init-system");
        InitSystem i;

        if (path && content)
                tree_write(root, path, content);
        else if (path)
                tree_mkdir(root, path);
        if (path2)
                tree_write(root, path2, content2);
        i = detect_init_system(root);
        tree_remove(root);
        return i;
}

int main(void) {
        const char *unit = "[Service]\nExecStart=/usr/bin/dockerd\n";

        ok_int(detect_with("/lib/systemd/system/docker.service", unit, NULL, NULL), INIT_SYSTEMD, "unit in /lib");
        ok_int(detect_with("/usr/lib/systemd/system/docker.service", unit, NULL, NULL), INIT_SYSTEMD, "unit in /usr/lib");
        ok_int(detect_with("/etc/systemd/system/docker.service", unit, NULL, NULL), INIT_SYSTEMD, "unit in /etc");
        ok_int(detect_with("/etc/systemd/system/docker.service.d", NULL, NULL, NULL), INIT_SYSTEMD, "drop-in dir only");
        ok_int(detect_with("/lib/systemd/system/docker.service", unit, "/etc/init.d/docker", "#!/bin/sh\n"),
               INIT_SYSTEMD, "unit and init script: the unit");
        ok_int(detect_with("/etc/init.d/docker", "#!/sbin/openrc-run\ncommand=/usr/bin/dockerd\n", NULL, NULL),
               INIT_OPENRC, "openrc-run shebang");
        ok_int(detect_with("/etc/init.d/docker", "#!/sbin/runscript\n", NULL, NULL), INIT_OPENRC, "runscript shebang");
        ok_int(detect_with("/etc/init.d/docker", "#!/bin/sh\n### BEGIN INIT INFO\n", NULL, NULL), INIT_SYSV,
               "plain sh script");
        ok_int(detect_with("/etc/init.d/docker", "#!/bin/sh\n# not for openrc-run\n", NULL, NULL), INIT_SYSV,
               "openrc-run after the first line does not count");
        ok_int(detect_with("/etc/init/docker.conf", "description \"Docker\"\nexec /usr/bin/docker -d\n", NULL, NULL),
               INIT_UPSTART, "upstart job");
        ok_int(detect_with("/etc/init/docker.conf", "description \"Docker\"\n", "/etc/init.d/docker", "#!/bin/sh\n"),
               INIT_UPSTART, "upstart job next to its init.d wrapper");
        ok_int(detect_with(NULL, NULL, NULL, NULL), INIT_UNKNOWN, "nothing");
        ok_int(detect_with("/etc/default/docker", "DOCKER_OPTS=\n", NULL, NULL), INIT_UNKNOWN, "an env file alone");

        ok_streq(init_system_to_string(INIT_SYSTEMD), "systemd", "name systemd");
        ok_streq(init_system_to_string(INIT_SYSV), "sysv", "name sysv");
        ok_streq(init_system_to_string(INIT_OPENRC), "openrc", "name openrc");
        ok_streq(init_system_to_string(INIT_UPSTART), "upstart", "name upstart");
        ok_streq(init_system_to_string(INIT_UNKNOWN), "unknown", "name unknown");
        return tap_done();
}
