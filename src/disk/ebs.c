/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/ebs.h"
#include "util/macro.h"
#include "util/string-table.h"

/* Offsets in the Identify Controller data structure (NVMe base spec). */
#define IDENTIFY_VID_OFFSET 0
#define IDENTIFY_SN_OFFSET 4
#define IDENTIFY_SN_LEN 20
#define IDENTIFY_MN_OFFSET 24
#define IDENTIFY_MN_LEN 40
/* The vendor-specific area starts at 3072; Amazon keeps the EC2 block device
 * name in its first 32 bytes, padded with spaces. */
#define IDENTIFY_VS_OFFSET 3072
#define AMZN_BDEV_LEN 32

#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_IDENTIFY_CNS_CTRL 1

static const char *const disk_kind_table[] = {
        [DISK_KIND_OTHER] = "other",
        [DISK_KIND_EBS] = "ebs",
        [DISK_KIND_INSTANCE_STORE] = "instance-store",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(disk_kind, DiskKind);

/* Copies a fixed-width, blank- or NUL-padded field and trims both ends. */
static void copy_trimmed(char *dst, size_t dst_size, const char *src, size_t len) {
        size_t b = 0, e;

        while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == '\0' || src[len - 1] == '\n'))
                len--;
        while (b < len && src[b] == ' ')
                b++;
        e = len - b;
        if (e >= dst_size)
                e = dst_size - 1;
        memcpy(dst, src + b, e);
        dst[e] = '\0';
        /* Anything unprintable is garbage from a controller we do not know;
         * cut there rather than carry it into names and JSON. */
        for (size_t i = 0; i < e; i++)
                if (!isprint((unsigned char) dst[i])) {
                        dst[i] = '\0';
                        break;
                }
}

DiskKind disk_kind_from_model(const char *model) {
        char m[64];

        if (!model)
                return DISK_KIND_OTHER;
        copy_trimmed(m, sizeof(m), model, strlen(model));
        if (streq(m, EBS_MODEL))
                return DISK_KIND_EBS;
        if (streq(m, INSTANCE_STORE_MODEL))
                return DISK_KIND_INSTANCE_STORE;
        return DISK_KIND_OTHER;
}

bool ec2_name_valid(const char *s) {
        size_t letters = 0;

        if (!s)
                return false;
        s = startswith(s, "/dev/") ?: s;
        if (startswith(s, "xvd"))
                s += 3;
        else if (startswith(s, "sd"))
                s += 2;
        else
                return false;
        while (*s >= 'a' && *s <= 'z') {
                s++;
                letters++;
        }
        if (letters < 1 || letters > 2)
                return false;
        /* A partition number, as on root volumes ("sda1"). */
        for (size_t digits = 0; *s; s++, digits++)
                if (!isdigit((unsigned char) *s) || digits >= 2)
                        return false;
        return true;
}

int ec2_name_normalize(const char *s, char **ret) {
        char *n;

        if (!ec2_name_valid(s))
                return -EINVAL;
        s = startswith(s, "/dev/") ?: s;
        s = startswith(s, "xvd") ?: startswith(s, "sd");
        if (asprintf(&n, "sd%s", s) < 0)
                return -ENOMEM;
        *ret = n;
        return 0;
}

int ebs_volume_id_normalize(const char *s, char **ret) {
        const char *p;
        size_t n = 0;
        char *v;

        if (!s || strncasecmp(s, "vol", 3) != 0)
                return -EINVAL;
        p = s + 3;
        if (*p == '-')
                p++;
        for (; p[n]; n++)
                if (!isxdigit((unsigned char) p[n]))
                        return -EINVAL;
        if (n != 8 && n != 17)
                return -EINVAL;
        if (asprintf(&v, "vol-%s", p) < 0)
                return -ENOMEM;
        for (char *c = v; *c; c++)
                *c = tolower((unsigned char) *c);
        *ret = v;
        return 0;
}

int nvme_identify_parse(const void *data, size_t size, NvmeIdentity *ret) {
        const uint8_t *d = data;
        NvmeIdentity id = {};
        char bdev[AMZN_BDEV_LEN + 1];

        if (!data || size < NVME_IDENTIFY_SIZE)
                return -EINVAL;

        /* Little endian on the wire, whatever the host is. */
        id.vendor_id = (uint16_t) (d[IDENTIFY_VID_OFFSET] | (d[IDENTIFY_VID_OFFSET + 1] << 8));
        copy_trimmed(id.serial, sizeof(id.serial), (const char *) d + IDENTIFY_SN_OFFSET, IDENTIFY_SN_LEN);
        copy_trimmed(id.model, sizeof(id.model), (const char *) d + IDENTIFY_MN_OFFSET, IDENTIFY_MN_LEN);

        if (id.vendor_id == AMAZON_NVME_VENDOR_ID) {
                _cleanup_free_ char *n = NULL;

                copy_trimmed(bdev, sizeof(bdev), (const char *) d + IDENTIFY_VS_OFFSET, AMZN_BDEV_LEN);
                if (ec2_name_normalize(bdev, &n) >= 0)
                        snprintf(id.ec2_name, sizeof(id.ec2_name), "%s", n);
        }

        *ret = id;
        return 0;
}

int nvme_identify_read(const char *node, NvmeIdentity *ret) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;

        fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();

        buf = calloc(1, NVME_IDENTIFY_SIZE);
        if (!buf)
                return -ENOMEM;

        if (S_ISREG(st.st_mode)) {
                ssize_t n = pread(fd, buf, NVME_IDENTIFY_SIZE, 0);
                if (n < 0)
                        return negative_errno();
                if (n != NVME_IDENTIFY_SIZE)
                        return -EINVAL;
        } else if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode)) {
                struct nvme_admin_cmd cmd = {
                        .opcode = NVME_ADMIN_IDENTIFY,
                        .addr = (uint64_t) (uintptr_t) buf,
                        .data_len = NVME_IDENTIFY_SIZE,
                        .cdw10 = NVME_IDENTIFY_CNS_CTRL,
                };
                int r = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd);
                if (r < 0)
                        return negative_errno();
                if (r > 0) /* an NVMe status code: the controller refused */
                        return -EIO;
        } else
                return -ENOTBLK;

        return nvme_identify_parse(buf, NVME_IDENTIFY_SIZE, ret);
}
