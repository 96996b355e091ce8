/* SPDX-License-Identifier: GPL-2.0-or-later */
/* On an EC2 instance on Xen, instance store is told from EBS by the instance
 * metadata: against a stand-in of the service on 127.0.0.1, run by a thread
 * of this test, that counts the requests it is sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "disk/blockdev.h"
#include "disk/imds.h"
#include "disk/safety.h"
#include "tap.h"
#include "util/process.h"
#include "util/strv.h"

#define TOKEN "AQAEAKx-stand-in-token=="
#define MAPPING "/latest/meta-data/block-device-mapping/"

/* As an instance launched with two instance-store volumes and one more EBS
 * volume answers: keys one a line, no newline at the end; the EC2 names in
 * the spellings the service uses. */
static const struct {
        const char *path, *body;
} metadata[] = {
        { MAPPING, "ami\nebs1\nephemeral0\nephemeral1\nroot" },
        { MAPPING "ami", "/dev/sda1" },
        { MAPPING "ebs1", "sdg" },
        { MAPPING "ephemeral0", "sdb" },
        { MAPPING "ephemeral1", "/dev/sdc" },
        { MAPPING "root", "/dev/sda1" },
};

typedef struct Server {
        int fd;
        int stop[2];
        pthread_t thread;
        int put_status;      /* the answer to the token request: 200 (IMDSv2), 403/404/405 (IMDSv1 only), or
                              * 0: the connection closed without an answer */
        atomic_uint requests;
        char url[64];
} Server;

/* The status and body of the answer to one request. */
static int answer(const Server *s, const char *req, const char **ret_body) {
        char method[8] = {}, path[256] = {};
        bool token = strcasestr(req, "\r\nX-aws-ec2-metadata-token: " TOKEN "\r\n");

        *ret_body = "";
        if (sscanf(req, "%7s %255s", method, path) != 2)
                return 400;
        if (streq(method, "PUT") && streq(path, "/latest/api/token")) {
                if (s->put_status != 200)
                        return s->put_status;
                if (!strcasestr(req, "\r\nX-aws-ec2-metadata-token-ttl-seconds: "))
                        return 400;
                *ret_body = TOKEN;
                return 200;
        }
        if (!streq(method, "GET"))
                return 405;
        /* IMDSv2 required where it is offered. */
        if (s->put_status == 200 && !token)
                return 401;
        for (size_t i = 0; i < ELEMENTSOF(metadata); i++)
                if (streq(path, metadata[i].path)) {
                        *ret_body = metadata[i].body;
                        return 200;
                }
        return 404;
}

static void serve(Server *s, int fd) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char req[4096] = {}, head[256];
        const char *body;
        size_t n = 0;
        int status, k;

        /* The request's head, in bounded time. */
        while (!strstr(req, "\r\n\r\n") && n < sizeof(req) - 1) {
                ssize_t r;

                if (poll(&p, 1, 2000) <= 0)
                        return;
                r = read(fd, req + n, sizeof(req) - 1 - n);
                if (r <= 0)
                        return;
                n += (size_t) r;
        }
        atomic_fetch_add(&s->requests, 1);
        status = answer(s, req, &body);
        if (status == 0)
                return;
        k = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, strlen(body));
        if (write(fd, head, (size_t) k) == k)
                (void) !write(fd, body, strlen(body));
}

static void *server_run(void *userdata) {
        Server *s = userdata;

        for (;;) {
                struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->stop[0], .events = POLLIN } };
                int c;

                if (poll(p, 2, -1) < 0 || p[1].revents)
                        return NULL;
                c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                serve(s, c);
                close(c);
        }
}

/* A socket on 127.0.0.1 and a free port: listening when listen is set,
 * otherwise bound only (a connection is refused: no service there). */
static int local_socket(bool listening, char *url, size_t size) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || (listening && listen(fd, 16) < 0) ||
            getsockname(fd, (struct sockaddr *) &a, &l) < 0)
                return -1;
        snprintf(url, size, "http://127.0.0.1:%u", ntohs(a.sin_port));
        return fd;
}

static int server_start(Server *s, int put_status) {
        s->put_status = put_status;
        atomic_store(&s->requests, 0);
        s->fd = local_socket(true, s->url, sizeof(s->url));
        if (s->fd < 0 || pipe2(s->stop, O_CLOEXEC) < 0)
                return -errno;
        return -pthread_create(&s->thread, NULL, server_run, s);
}

static void server_stop(Server *s) {
        if (write(s->stop[1], "x", 1) == 1)
                pthread_join(s->thread, NULL);
        close(s->stop[0]);
        close(s->stop[1]);
        close(s->fd);
}

static char *sysroot(const char *name) {
        char *p;
        if (asprintf(&p, "%s/disk/%s", fixtures_dir(), name) < 0)
                return NULL;
        return p;
}

static bool has(char **l, const char *needle) {
        STRV_FOREACH(s, l)
                if (strstr(*s, needle))
                        return true;
        return false;
}

/* Loads name under root and checks it as prepare does. */
static void check(const char *root, const char *name, DiskKind want_kind, const EligibilityRequest *req,
                  Eligibility *ret) {
        _cleanup_blockdev_ BlockDev *d = NULL;

        ok_int(blockdev_load(root, name, &d), 0, "load %s", name);
        if (!d)
                return;
        ok_int(disk_check_eligibility(root, d, req, ret), 0, "check %s", name);
        ok_streq(disk_kind_to_string(ret->kind), disk_kind_to_string(want_kind), "%s is %s", name,
                 disk_kind_to_string(want_kind));
}

static void test_imdsv2(const char *ec2) {
        EligibilityRequest req = {}, allow = { .allow_instance_store = true };
        _cleanup_(eligibility_done) Eligibility b = {}, c = {}, c1 = {}, f = {}, a = {}, ab = {};
        _cleanup_blockdev_ BlockDev *p = NULL;
        Server s = {};
        char url[80];

        ok_int(server_start(&s, 200), 0, "stand-in of the metadata service (IMDSv2)");
        /* A trailing slash, as users write URLs. */
        snprintf(url, sizeof(url), "%s/", s.url);
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
        imds_forget();

        check(ec2, "xvdb", DISK_KIND_INSTANCE_STORE, &req, &b);
        ok(has(b.refusals, "instance-store"), "xvdb, mapped as ephemeral0 (\"sdb\"), is refused as instance store");
        ok(strv_length(b.warnings) == 0, "... and no doubt is left");
        check(ec2, "xvdc", DISK_KIND_INSTANCE_STORE, &req, &c);
        ok(has(c.refusals, "instance-store"), "xvdc, mapped as ephemeral1 (\"/dev/sdc\"), is refused too");
        ok_int(blockdev_load(ec2, "xvdc1", &p), 0, "load xvdc1");
        ok_int(disk_check_eligibility(ec2, p, &req, &c1), 0, "check xvdc1");
        ok(has(c1.refusals, "instance-store"), "so is its partition");
        check(ec2, "xvdf", DISK_KIND_EBS, &req, &f);
        ok(strv_length(f.refusals) == 0 && strv_length(f.warnings) == 0,
           "xvdf, attached after launch (in no mapping), is EBS: eligible, without a warning");
        check(ec2, "xvda", DISK_KIND_EBS, &req, &a);
        ok(has(a.refusals, "backs /") && !has(a.refusals, "instance-store"), "the root volume is refused for /, only");
        check(ec2, "xvdb", DISK_KIND_INSTANCE_STORE, &allow, &ab);
        ok(strv_length(ab.refusals) == 0, "xvdb with --allow-instance-store: eligible");

        /* PUT token, GET the listing, GET ephemeral0 and ephemeral1. */
        ok_int(atomic_load(&s.requests), 4, "one exchange for every disk loaded: token, listing, two ephemeral keys");
        server_stop(&s);
}

static void test_imdsv1(const char *ec2) {
        static const int refusals[] = { 403, 404, 405 };

        for (size_t i = 0; i < ELEMENTSOF(refusals); i++) {
                _cleanup_(eligibility_done) Eligibility b = {}, f = {};
                EligibilityRequest req = {};
                Server s = {};

                ok_int(server_start(&s, refusals[i]), 0, "stand-in that answers the token request with %d",
                       refusals[i]);
                setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
                imds_forget();
                check(ec2, "xvdb", DISK_KIND_INSTANCE_STORE, &req, &b);
                ok(has(b.refusals, "instance-store"), "IMDSv1 after a %d: xvdb is refused as instance store",
                   refusals[i]);
                check(ec2, "xvdf", DISK_KIND_EBS, &req, &f);
                ok_int(atomic_load(&s.requests), 4, "the token asked once, then three reads without it");
                server_stop(&s);
        }
}

/* A token request that gets no HTTP answer at all (the connection closed
 * on it) is a failure: IMDSv1 is tried only where the service says, with an
 * HTTP status, that it offers no tokens. */
static void test_token_dropped(const char *ec2) {
        _cleanup_blockdev_ BlockDev *d = NULL;
        Server s = {};

        ok_int(server_start(&s, 0), 0, "stand-in that closes the connection on the token request");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
        imds_forget();
        DiskKind k = DISK_KIND_EBS;

        ok_int(blockdev_load(ec2, "xvdb", &d), 0, "load xvdb");
        ok(d && blockdev_kind(ec2, d, &k) < 0 && k == DISK_KIND_OTHER,
           "its kind is unknown, not read through IMDSv1");
        ok_int(atomic_load(&s.requests), 1, "only the token was asked for");
        server_stop(&s);
}

/* What is left when the service cannot be read: the kind unknown, a warning,
 * no refusal; within the timeout, and only once. */
static void check_unknown(const char *ec2, const char *why, const char *want_warning) {
        _cleanup_(eligibility_done) Eligibility b = {}, f = {};
        _cleanup_blockdev_ BlockDev *d = NULL;
        EligibilityRequest req = {}, allow = { .allow_instance_store = true };
        unsigned long long t0 = now_ms(), t1;
        DiskKind k = DISK_KIND_EBS;

        check(ec2, "xvdb", DISK_KIND_OTHER, &req, &b);
        t1 = now_ms();
        ok(t1 - t0 <= IMDS_TIMEOUT_MS + 1000, "%s: the answer came within the timeout (%llu ms)", why, t1 - t0);
        ok(!has(b.refusals, "instance-store"), "%s: xvdb is not refused as instance store", why);
        ok(has(b.warnings, "could not be told") && has(b.warnings, "lost when the instance stops") &&
                   has(b.warnings, want_warning),
           "%s: a warning says instance store could not be told from EBS, and what that risks", why);
        STRV_FOREACH(w, b.warnings)
                printf("#   %s\n", *w);
        ok_int(blockdev_load(ec2, "xvdf", &d), 0, "%s: load xvdf", why);
        ok(now_ms() - t1 < 500, "%s: the failure is kept, not asked again", why);
        ok(d && blockdev_kind(ec2, d, &k) < 0 && k == DISK_KIND_OTHER, "%s: xvdf's kind is unknown too", why);
        ok_int(disk_check_eligibility(ec2, d, &allow, &f), 0, "%s: check xvdf with --allow-instance-store", why);
        ok(strv_length(f.warnings) == 0, "%s: no warning where instance store is allowed", why);
}

static void test_unavailable(const char *ec2) {
        char url[64];
        int fd;

        /* Nothing listens: the connection is refused at once. */
        fd = local_socket(false, url, sizeof(url));
        ok(fd >= 0, "a port without a service");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
        imds_forget();
        check_unknown(ec2, "no service", "could not be read");
        close(fd);

        /* Something accepts the connection and never answers. */
        fd = local_socket(true, url, sizeof(url));
        ok(fd >= 0, "a port that never answers");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
        imds_forget();
        {
                unsigned long long t0 = now_ms();
                check_unknown(ec2, "a silent service", "timed out");
                ok(now_ms() - t0 >= IMDS_TIMEOUT_MS - 100, "a silent service: waited for the timeout, no longer");
        }
        close(fd);
}

static void test_disabled(const char *ec2) {
        static const char *const values[] = { "true", "TRUE" };
        Server s = {};

        ok_int(server_start(&s, 200), 0, "stand-in of the metadata service");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                setenv("AWS_EC2_METADATA_DISABLED", values[i], 1);
                imds_forget();
                check_unknown(ec2, values[i], "AWS_EC2_METADATA_DISABLED");
        }
        ok_int(atomic_load(&s.requests), 0, "AWS_EC2_METADATA_DISABLED: the service is never asked");

        setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
        imds_forget();
        {
                _cleanup_(eligibility_done) Eligibility b = {};
                EligibilityRequest req = {};
                check(ec2, "xvdb", DISK_KIND_INSTANCE_STORE, &req, &b);
        }
        ok_int(atomic_load(&s.requests), 4, "AWS_EC2_METADATA_DISABLED=false: asked");
        unsetenv("AWS_EC2_METADATA_DISABLED");
        server_stop(&s);
}

/* The same service, but the hosts are no EC2 Xen instances: a Xen guest
 * elsewhere, a Nitro instance. Only the EC2 Xen instance asks. */
static void test_elsewhere(const char *ec2, const char *xen, const char *nitro) {
        _cleanup_blockdev_ BlockDev *x = NULL, *n = NULL, *e = NULL;
        DiskKind k = DISK_KIND_EBS;
        Server s = {};

        ok_int(server_start(&s, 200), 0, "stand-in of the metadata service");
        setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
        imds_forget();
        ok_int(blockdev_load(xen, "xvdf", &x), 0, "load xvdf of a Xen guest that is no EC2 instance");
        ok(x && blockdev_kind(xen, x, &k) == 0 && k == DISK_KIND_OTHER, "its kind is other, and no doubt");
        ok_int(blockdev_load(nitro, "nvme1n1", &n), 0, "load nvme1n1 of a Nitro instance");
        ok_int(atomic_load(&s.requests), 0, "neither asks the metadata service");
        ok_int(blockdev_load(ec2, "xvdf", &e), 0, "load xvdf of an EC2 Xen instance");
        ok_int(atomic_load(&s.requests), 0, "loading it asks nothing yet (listing disks, completing names)");
        ok(e && blockdev_kind(ec2, e, &k) == 0 && atomic_load(&s.requests) > 0 && k == DISK_KIND_EBS,
           "its kind asks, and learns it is EBS");
        server_stop(&s);
}

int main(void) {
        _cleanup_free_ char *ec2 = sysroot("sysroot-xen-ec2"), *xen = sysroot("sysroot-xen"),
                            *nitro = sysroot("sysroot-nitro");

        /* The service is the stand-in, never a proxy of the environment. */
        setenv("http_proxy", "http://127.0.0.1:9", 1);
        unsetenv("AWS_EC2_METADATA_DISABLED");

        test_imdsv2(ec2);
        test_imdsv1(ec2);
        test_token_dropped(ec2);
        test_unavailable(ec2);
        test_disabled(ec2);
        test_elsewhere(ec2, xen, nitro);
        imds_forget();
        return tap_done();
}
