/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "disk/ebs.h"
#include "tap.h"
#include "util/macro.h"
#include "util/fileio.h"

static int load_identify(const char *name, NvmeIdentity *ret) {
        _cleanup_free_ char *p = NULL, *data = NULL;
        size_t size;
        int r;

        if (asprintf(&p, "%s/disk/identify/%s", fixtures_dir(), name) < 0)
                return -ENOMEM;
        r = read_full_file(p, 0, &data, &size);
        if (r < 0)
                return r;
        return nvme_identify_parse(data, size, ret);
}

static void test_identify(void) {
        NvmeIdentity id;
        _cleanup_free_ char *p = NULL;

        ok_int(load_identify("ebs-sdf.bin", &id), 0, "parse ebs-sdf");
        ok_int(id.vendor_id, AMAZON_NVME_VENDOR_ID, "Amazon vendor id");
        ok_streq(id.model, EBS_MODEL, "EBS model, trimmed");
        ok_streq(id.serial, "vol0abc123def4567890", "serial, trimmed");
        ok_streq(id.ec2_name, "sdf", "EC2 name from the vendor area");
        ok_int(disk_kind_from_model(id.model), DISK_KIND_EBS, "kind EBS");

        ok_int(load_identify("ebs-dev-xvdg.bin", &id), 0, "parse ebs-dev-xvdg");
        ok_streq(id.ec2_name, "sdg", "\"/dev/xvdg\" normalised to sdg");

        ok_int(load_identify("ebs-root-sda1.bin", &id), 0, "parse root volume");
        ok_streq(id.ec2_name, "sda1", "root volume name keeps its partition number");

        ok_int(load_identify("instance-store.bin", &id), 0, "parse instance store");
        ok_int(disk_kind_from_model(id.model), DISK_KIND_INSTANCE_STORE, "kind instance store");
        ok_streq(id.ec2_name, "", "\"ephemeral0\" is not an EC2 device name");

        ok_int(load_identify("qemu.bin", &id), 0, "parse QEMU controller");
        ok_int(id.vendor_id, 0x1b36, "QEMU vendor id");
        ok_streq(id.ec2_name, "", "vendor area of a non-Amazon controller is ignored");
        ok_int(disk_kind_from_model(id.model), DISK_KIND_OTHER, "kind other");

        /* Captured from QEMU's NVMe controller, the VM tests' stand-in for
         * an EBS volume. */
        ok_int(load_identify("qemu-nvme-captured.bin", &id), 0, "parse captured QEMU answer");
        ok_int(id.vendor_id, 0x1b36, "captured: Red Hat/QEMU vendor id");
        ok_streq(id.serial, "vol0123456789abcdef0", "captured: serial as given to QEMU");
        ok_streq(id.model, "QEMU NVMe Ctrl", "captured: model");
        ok_streq(id.ec2_name, "", "captured: no EC2 name from a non-Amazon controller");
        {
                _cleanup_free_ char *v = NULL;
                ok_int(ebs_volume_id_normalize(id.serial, &v), 0, "captured: serial is a volume id");
                ok_streq(v, "vol-0123456789abcdef0", "captured: normalised volume id");
        }

        ok_int(load_identify("ebs-garbage.bin", &id), 0, "parse garbage vendor area");
        ok_streq(id.ec2_name, "", "garbage is not taken as a name");

        ok_int(nvme_identify_parse("short", 5, &id), -EINVAL, "short buffer refused");

        /* nvme_identify_read() on a regular file reads the raw answer. */
        ok(asprintf(&p, "%s/disk/identify/ebs-sdf.bin", fixtures_dir()) > 0, "path");
        ok_int(nvme_identify_read(p, &id), 0, "read from a file");
        ok_streq(id.ec2_name, "sdf", "same answer through the read path");
}

static void test_volume_id(void) {
        static const char *const good[][2] = {
                { "vol-0abc123def4567890", "vol-0abc123def4567890" },
                { "vol0abc123def4567890", "vol-0abc123def4567890" },
                { "VOL-0ABC123DEF4567890", "vol-0abc123def4567890" },
                { "vol-1a2b3c4d", "vol-1a2b3c4d" }, /* the old 8-digit form */
        };
        static const char *const bad[] = {
                "vol-", "vol-0abc", "vol-0abc123def456789g", "volume-0abc123def4567890", "vol--0abc123def4567890",
                "sdf", "", "vol-0abc123def45678901",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *n = NULL;
                ok_int(ebs_volume_id_normalize(good[i][0], &n), 0, "volume id %s accepted", good[i][0]);
                ok_streq(n, good[i][1], "volume id %s normalised", good[i][0]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *n = NULL;
                ok_int(ebs_volume_id_normalize(bad[i], &n), -EINVAL, "'%s' is not a volume id", bad[i]);
        }
}

static void test_ec2_name(void) {
        static const char *const good[][2] = {
                { "sdf", "sdf" }, { "/dev/sdf", "sdf" }, { "xvdf", "sdf" },    { "/dev/xvdf", "sdf" },
                { "sdba", "sdba" }, { "xvdba", "sdba" }, { "/dev/sda1", "sda1" },
        };
        static const char *const bad[] = { "nvme1n1", "sd", "xvd", "sdF", "/dev/nvme0n1", "sdabc", "sdf123",
                                           "loop0", "/dev/disk/by-id/x", "" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *n = NULL;
                ok_int(ec2_name_normalize(good[i][0], &n), 0, "EC2 name %s accepted", good[i][0]);
                ok_streq(n, good[i][1], "EC2 name %s normalised", good[i][0]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *n = NULL;
                ok_int(ec2_name_normalize(bad[i], &n), -EINVAL, "'%s' is not an EC2 name", bad[i]);
        }
}

static void test_kind(void) {
        ok_int(disk_kind_from_model("Amazon Elastic Block Store              "), DISK_KIND_EBS, "padded EBS model");
        ok_int(disk_kind_from_model("Amazon EC2 NVMe Instance Storage"), DISK_KIND_INSTANCE_STORE, "instance store");
        ok_int(disk_kind_from_model(NULL), DISK_KIND_OTHER, "no model");
        ok_int(disk_kind_from_model("Amazon Elastic Block Storage"), DISK_KIND_OTHER, "near miss is other");
}

int main(void) {
        test_identify();
        test_volume_id();
        test_ec2_name();
        test_kind();
        return tap_done();
}
