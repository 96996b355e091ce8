/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "config/init-system.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/string-table.h"

static const char *const init_system_table[] = {
        [INIT_UNKNOWN] = "unknown",
        [INIT_SYSTEMD] = "systemd",
        [INIT_SYSV] = "sysv",
        [INIT_OPENRC] = "openrc",
        [INIT_UPSTART] = "upstart",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(init_system, InitSystem);

static bool exists_in(const char *root, const char *path) {
        _cleanup_free_ char *p = root_path(root, path);
        return p && file_exists(p);
}

static bool script_is_openrc(const char *root) {
        _cleanup_free_ char *p = root_path(root, "/etc/init.d/docker"), *data = NULL;

        if (!p || read_full_file(p, 64 * 1024, &data, NULL) < 0)
                return false;
        /* "#!/sbin/openrc-run" (or the older runscript) on the first line. */
        char *nl = strchr(data, '\n');
        if (nl)
                *nl = '\0';
        return strstr(data, "openrc-run") || strstr(data, "runscript");
}

static bool has_docker_unit(const char *root) {
        static const char *const units[] = {
                "/etc/systemd/system/docker.service",
                "/run/systemd/system/docker.service",
                "/usr/lib/systemd/system/docker.service",
                "/lib/systemd/system/docker.service",
                "/etc/systemd/system/docker.service.d",
        };
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (exists_in(root, units[i]))
                        return true;
        return false;
}

InitSystem detect_init_system(const char *root) {
        if (root_is_host(root)) {
                /* What runs, not what is installed: a Debian host has both the
                 * unit and the init script. */
                if (dir_exists("/run/systemd/system"))
                        return INIT_SYSTEMD;
                if (file_exists("/run/openrc/softlevel") || (dir_exists("/run/openrc") && script_is_openrc(NULL)))
                        return INIT_OPENRC;
                if (file_exists("/etc/init/docker.conf") && file_exists("/sbin/initctl") &&
                    !file_exists("/etc/init.d/docker"))
                        return INIT_UPSTART;
                if (file_exists("/etc/init.d/docker"))
                        return script_is_openrc(NULL) ? INIT_OPENRC : INIT_SYSV;
                if (file_exists("/etc/init/docker.conf"))
                        return INIT_UPSTART;
                return INIT_UNKNOWN;
        }

        /* Offline tree: infer from the files that would start dockerd. */
        if (has_docker_unit(root))
                return INIT_SYSTEMD;
        if (exists_in(root, "/etc/init/docker.conf"))
                return INIT_UPSTART;
        if (exists_in(root, "/etc/init.d/docker"))
                return script_is_openrc(root) ? INIT_OPENRC : INIT_SYSV;
        return INIT_UNKNOWN;
}
