/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The namespaces of a containerd and what each holds, asked through ctr,
 * containerd's own client: it ships with containerd, so it speaks the
 * daemon's API version, and "-q" prints bare names, one a line. (Talking
 * gRPC from C would need a client library we do not have; the metadata
 * database is bolt, a format of containerd's own that no one else should
 * read.) Another client's namespace on the containerd that holds Docker's
 * images (a kubelet's "k8s.io") is affected by anything done to that
 * containerd's root. */

#define CONTAINERD_NS_UNKNOWN ((size_t) -1)

typedef struct ContainerdNamespace {
        char *name;
        size_t images;     /* CONTAINERD_NS_UNKNOWN when ctr could not list them */
        size_t containers;
        size_t content;    /* blobs */
} ContainerdNamespace;

typedef struct ContainerdNamespaces {
        ContainerdNamespace *items; /* sorted by name */
        size_t n;
} ContainerdNamespaces;

void containerd_namespaces_done(ContainerdNamespaces *l);

/* "ctr -a socket namespaces ls -q", then for each namespace its images,
 * containers and content (ctr ... ls -q), each call within timeout_ms.
 * -ENOENT when ctr is not installed, -ETIMEDOUT, -EIO when ctr fails (its
 * stderr in *ret_error when not NULL: containerd not running, say). */
int containerd_namespaces_list(const char *socket, unsigned timeout_ms, ContainerdNamespaces *ret, char **ret_error);

/* The lines of ctr's "-q" output, blank lines skipped. */
int containerd_parse_names(const char *text, char ***ret);

/* Whether a namespace holds anything (or could not be asked). */
bool containerd_namespace_in_use(const ContainerdNamespace *ns);
