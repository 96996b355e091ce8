/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The move on a host with SELinux enabled: the new trees labelled as the
 * policy labels the old ones, before Docker starts on them, and the rule
 * that does it taken out again by every rollback.
 *
 * The policy gives /var/lib/docker (and /var/lib/containerd) the labels
 * Docker's processes may use; a copy on a new volume would carry those of
 * an ordinary directory there, and every container would fail with
 * "permission denied" under enforcing. An equivalence rule ("semanage
 * fcontext -a -e OLD NEW") makes the policy label NEW as OLD, for good
 * (restorecon and a full relabel keep it), and "restorecon -R NEW" applies
 * it now.
 *
 * The journal records each rule before it is added, with whether it is
 * the move's own (a rule an administrator had made already is left in
 * place by a rollback):
 *
 *   "selinux_rules": [ { "path": "/mnt/docker-data/docker",
 *                        "equal": "/var/lib/docker", "added": true } ]
 *
 * so that a resumed move does not add it twice and a rollback, of a failed
 * move or of a finished one, removes exactly the rules the move added.
 * "equal" is the old root, or the path the old root's own rule names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/selinux.h"
#include "move/move-internal.h"
#include "util/error.h"
#include "util/json-util.h"
#include "util/strv.h"

#define JOURNAL_SELINUX_RULES "selinux_rules"

bool with_selinux(const Move *m) {
        return m->selinux_label;
}

/* The trees of the move, as (old, new) pairs: the data root, and
 * containerd's root when it moves too. */
static size_t move_trees(const Move *m, const char *trees[static 4]) {
        size_t n = 0;

        trees[n++] = m->old_root;
        trees[n++] = m->new_root;
        if (with_containerd(m)) {
                trees[n++] = m->store.old_containerd_root;
                trees[n++] = m->store.new_containerd_root;
        }
        return n / 2;
}

/* What new is to be labelled as, and the rule it has already (*ret_now;
 * NULL: none). The old root itself, unless a rule labels the old root as
 * another path (a data root moved here before): the policy applies one
 * rule, never a chain of them, and "NEW = OLD" beside "OLD =
 * /var/lib/docker" would give NEW the labels of a directory the policy
 * does not know. */
static int rule_for(const char *old, const char *new, char **ret_equal, char **ret_now, char **ret_error) {
        _cleanup_strv_free_ char **pairs = NULL;
        _cleanup_free_ char *equal = NULL, *now = NULL;
        const char *e;
        int r;

        r = selinux_list_equivalences(&pairs, ret_error);
        if (r < 0)
                return r;
        equal = strdup(selinux_equivalence_lookup(pairs, old) ?: old);
        e = selinux_equivalence_lookup(pairs, new);
        if (!equal || (e && !(now = strdup(e))))
                return -ENOMEM;
        *ret_equal = TAKE_PTR(equal);
        *ret_now = TAKE_PTR(now);
        return 0;
}

static int refuse_other_rule(char **ret_error, const char *new, const char *now, const char *equal) {
        return error_set(ret_error, -EEXIST,
                         "An SELinux equivalence rule labels %s as %s, not as %s: remove it ('semanage fcontext -d "
                         "%s') and run the move again.",
                         new, now, equal, new);
}

int plan_selinux(Move *m, char **ret_error) {
        const SELinuxState *s = &m->selinux;
        _cleanup_strv_free_ char **missing = NULL, **packages = NULL;
        _cleanup_free_ char *tools = NULL, *pkgs = NULL;
        const char *trees[4];
        size_t n;
        int r;

        if (s->mode == SELINUX_DISABLED || !m->old_root || !m->new_root)
                return 0;
        n = move_trees(m, trees);
        if (!s->have_semanage &&
            (strv_extend(&missing, "semanage") < 0 || strv_extend(&packages, selinux_package(s, "semanage")) < 0))
                return -ENOMEM;
        if (!s->have_restorecon &&
            (strv_extend(&missing, "restorecon") < 0 || strv_extend(&packages, selinux_package(s, "restorecon")) < 0))
                return -ENOMEM;
        if (missing) {
                tools = strv_join(missing, " and ");
                pkgs = strv_join(packages, " and ");
                if (!tools || !pkgs)
                        return -ENOMEM;
                /* Enforcing, the containers would fail on the unlabelled
                 * copy; permissive, only the denials are logged, and the
                 * labels can be set any time before enforcing is. */
                if (s->mode == SELINUX_ENFORCING)
                        return strv_extendf(&m->refusals,
                                            "SELinux is enforcing, and %s %s not installed: the move labels the new "
                                            "data root as the old one with them, or every container would fail "
                                            "with \"permission denied\". Install %s, then run the move again.",
                                            tools, strv_length(missing) > 1 ? "are" : "is", pkgs);
                for (size_t i = 0; i < n; i++) {
                        r = strv_extendf(&m->warnings,
                                         "SELinux is permissive and %s %s not installed: %s is not labelled as %s. "
                                         "Before SELinux enforces, install %s and run 'semanage fcontext -a -e %s "
                                         "%s' and 'restorecon -R %s'.",
                                         tools, strv_length(missing) > 1 ? "are" : "is", trees[2 * i + 1],
                                         trees[2 * i], pkgs, trees[2 * i], trees[2 * i + 1], trees[2 * i + 1]);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        /* A rule of an administrator's that labels a new root as something
         * else: the move would fail after Docker is stopped. */
        m->selinux_equals = strv_free(m->selinux_equals);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *equal = NULL, *now = NULL, *err = NULL, *refusal = NULL;

                r = rule_for(trees[2 * i], trees[2 * i + 1], &equal, &now, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return error_set(ret_error, r, "Reading SELinux's file context rules failed: %s", strna(err));
                if (now && !streq(now, equal)) {
                        (void) refuse_other_rule(&refusal, trees[2 * i + 1], now, equal);
                        if (!refusal || strv_extend(&m->refusals, refusal) < 0)
                                return -ENOMEM;
                }
                if (strv_consume(&m->selinux_equals, TAKE_PTR(equal)) < 0)
                        return -ENOMEM;
        }
        m->selinux_label = true;
        return 0;
}

int plan_selinux_steps(Move *m, char ***steps) {
        const char *trees[4];
        size_t n;

        if (!with_selinux(m))
                return 0;
        n = move_trees(m, trees);
        for (size_t i = 0; i < n; i++) {
                const char *equal = i < strv_length(m->selinux_equals) ? m->selinux_equals[i] : trees[2 * i];
                int r = strv_extendf(steps,
                                     "Label %s for SELinux as %s: 'semanage fcontext -a -e %s %s' (unless that rule "
                                     "exists), then 'restorecon -R %s'",
                                     trees[2 * i + 1], equal, equal, trees[2 * i + 1], trees[2 * i + 1]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static cJSON *journal_rule(cJSON *rules, const char *path) {
        cJSON *e;

        cJSON_ArrayForEach(e, rules)
                if (streq_ptr(json_get_string(e, "path"), path))
                        return e;
        return NULL;
}

/* One tree: the rule (recorded before it is added), then the labels. */
static int label_tree(Move *m, const char *old, const char *new, char **ret_error) {
        _cleanup_free_ char *equal = NULL, *now = NULL, *err = NULL;
        cJSON *rules, *rule;
        int r;

        rules = cJSON_GetObjectItemCaseSensitive(m->journal, JOURNAL_SELINUX_RULES);
        if (!cJSON_IsArray(rules)) {
                rules = cJSON_CreateArray();
                r = json_set(m->journal, JOURNAL_SELINUX_RULES, rules);
                if (r < 0)
                        return r;
        }
        r = rule_for(old, new, &equal, &now, &err);
        if (r < 0)
                return error_set(ret_error, r, "Reading SELinux's file context rules failed: %s", strna(err));
        if (now && !streq(now, equal))
                return refuse_other_rule(ret_error, new, now, equal);
        rule = journal_rule(rules, new);
        if (!rule) {
                /* Write-ahead: a run killed once semanage has added the rule
                 * leaves a journal that names it as the move's. A rule that
                 * exists already is an administrator's, kept by a
                 * rollback. */
                rule = cJSON_CreateObject();
                if (!rule || !cJSON_AddItemToArray(rules, rule)) {
                        cJSON_Delete(rule);
                        return -ENOMEM;
                }
                if (!cJSON_AddStringToObject(rule, "path", new) || !cJSON_AddStringToObject(rule, "equal", equal) ||
                    !cJSON_AddBoolToObject(rule, "added", !now))
                        return -ENOMEM;
                r = journal_save(NULL, m->journal);
                if (r < 0)
                        return error_set(ret_error, r, "Cannot write the journal %s: %m", JOURNAL_PATH);
        }
        if (!now) {
                r = selinux_add_equivalence(new, equal, &err);
                if (r < 0)
                        return error_set(ret_error, r, "Adding the SELinux equivalence rule failed: %s", strna(err));
        }
        r = selinux_relabel(new, &err);
        if (r < 0)
                return error_set(ret_error, r, "Relabelling %s for SELinux failed: %s", new, strna(err));
        return 0;
}

int step_selinux_label(Move *m, char **ret_error) {
        const char *trees[4];
        size_t n = move_trees(m, trees);

        for (size_t i = 0; i < n; i++) {
                int r = label_tree(m, trees[2 * i], trees[2 * i + 1], ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int plan_selinux_undo(const Move *m, char ***plan) {
        const cJSON *e;

        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m->journal, JOURNAL_SELINUX_RULES))
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "added")) &&
                    strv_extendf(plan, "Remove the SELinux equivalence rule the move added ('semanage fcontext -d %s').",
                                 strna(json_get_string(e, "path"))) < 0)
                        return -ENOMEM;
        return 0;
}

int selinux_undo(Move *m) {
        const cJSON *e;

        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m->journal, JOURNAL_SELINUX_RULES)) {
                _cleanup_free_ char *equal = NULL, *err = NULL;
                const char *path = json_get_string(e, "path");
                int r;

                if (!path || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "added")))
                        continue;
                /* Gone already: a rollback killed after it removed the rule,
                 * or a move killed before it added it. */
                r = selinux_equivalence_of(path, &equal, &err);
                if (r >= 0 && !equal)
                        continue;
                if (r >= 0)
                        r = selinux_delete_equivalence(path, &err);
                if (r == -ENOMEM)
                        return r;
                /* Docker is back on the old root: a rule left over only
                 * labels a directory it no longer uses. Said, not fatal. */
                if (r < 0 && strv_extendf(&m->warnings,
                                          "The SELinux equivalence rule for %s could not be removed (%s): remove it "
                                          "with 'semanage fcontext -d %s'.",
                                          path, strna(err), path) < 0)
                        return -ENOMEM;
        }
        return 0;
}
