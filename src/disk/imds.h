/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The EC2 instance metadata service (IMDS), asked the one thing a Xen
 * instance cannot tell by itself: which of its disks are instance store.
 * There every disk is a Xen blkfront device without a model; only the
 * instance's block device mapping names the instance-store volumes
 * (ephemeral0, ephemeral1, ...), each with the EC2 device name it was given
 * at launch, the only time instance store can be mapped.
 *
 * The endpoint is IMDS_DEFAULT_ENDPOINT, or the URL in
 * AWS_EC2_METADATA_SERVICE_ENDPOINT; AWS_EC2_METADATA_DISABLED=true turns the
 * service off: the variables AWS's SDKs and CLI honour. IMDSv2 (a session
 * token) first, IMDSv1 only where the token request is refused with HTTP
 * 403, 404 or 405, as the SDKs do. The whole exchange takes at most
 * IMDS_TIMEOUT_MS, and at most IMDS_CONNECT_TIMEOUT_MS to connect. */

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_CONNECT_TIMEOUT_MS 1000U
#define IMDS_TIMEOUT_MS 2000U

/* Whether the EC2 device name (any spelling ec2_name_normalize() takes) is
 * an instance-store volume's in the block device mapping: 1 if it is, 0 if
 * not. Negative errno when the mapping could not be read: -ECANCELED
 * (AWS_EC2_METADATA_DISABLED), -ECONNREFUSED, -ETIMEDOUT and the like (no
 * service), -EACCES (HTTP 401 or 403), -ENOENT (404), -EIO (5xx), -EPROTO
 * (an answer that is not as documented), -EINVAL (name is no EC2 name).
 *
 * The service is asked once a process: every later call answers from what
 * the first one got, a failure included, so that a host without the service
 * waits for it once. Not thread-safe. */
int imds_is_instance_store(const char *name);

/* Forgets that answer: the next call asks again (tests). */
void imds_forget(void);
