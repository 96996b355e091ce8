/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVMe Identify Controller data, as an EBS volume (or anything else) answers
 * it: the parsed strings must be terminated and the EC2 name, when taken,
 * one that ec2_name_valid() accepts. */
#include "disk/ebs.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvmeIdentity id;

        if (nvme_identify_parse(data, size, &id) < 0)
                return 0;
        fuzz_assert(memchr(id.serial, '\0', sizeof(id.serial)) && memchr(id.model, '\0', sizeof(id.model)) &&
                    memchr(id.ec2_name, '\0', sizeof(id.ec2_name)));
        if (id.ec2_name[0])
                fuzz_assert(ec2_name_valid(id.ec2_name));
        (void) disk_kind_from_model(id.model);
        return 0;
}
