/*
 * The steadiness figures' parts: /proc/stat lines parsed to busy and steal
 * time, what else used the CPUs between two samples, and the cgroup CPU
 * quota read from fake cgroup folders (v1 and v2, "max", nested limits,
 * missing and broken files). The canary's speed is not asserted, only that
 * it runs and gives a rate.
 */
#include "steady.h"
#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static void test_proc_stat_line(void **state)
{
    (void)state;
    double busy, steal;
    /* user nice system idle iowait irq softirq steal guest guest_nice */
    assert_int_equal(cb_parse_proc_stat_cpu(
                         "cpu  100 20 30 4000 50 6 7 80 9 10\n", 100, &busy,
                         &steal),
                     0);
    assert_true(busy > 1.629 && busy < 1.631); /* 100+20+30+6+7 jiffies */
    assert_true(steal > 0.799 && steal < 0.801);
    /* A kernel without the later columns. */
    assert_int_equal(cb_parse_proc_stat_cpu("cpu 1 2 3 4", 100, &busy,
                                            &steal), 0);
    assert_true(busy > 0.059 && busy < 0.061);
    assert_int_equal(cb_parse_proc_stat_cpu("cpu0 1 2 3 4", 100, &busy,
                                            &steal), -1);
    assert_int_equal(cb_parse_proc_stat_cpu("intr 1 2 3 4", 100, &busy,
                                            &steal), -1);
}

static void test_cpu_between(void **state)
{
    (void)state;
    struct cb_cpu_sample a = {.wall_ns = 0, .busy_s = 10, .steal_s = 1,
                              .own_s = 2};
    struct cb_cpu_sample b = {.wall_ns = 2000000000, .busy_s = 13,
                              .steal_s = 1.5, .own_s = 3};
    double steal, other;
    cb_cpu_between(&a, &b, &steal, &other);
    assert_true(steal > 0.249 && steal < 0.251); /* 0.5 s in 2 s */
    assert_true(other > 0.999 && other < 1.001); /* (3 - 1) s in 2 s */
    /* concbench used more than the machine counted: no other CPU. */
    b.own_s = 6;
    cb_cpu_between(&a, &b, &steal, &other);
    assert_true(other == 0);
    /* Unknown stays unknown. */
    a.busy_s = -1;
    cb_cpu_between(&a, &b, &steal, &other);
    assert_true(steal == -1 && other == -1);
}

static void test_canary_runs(void **state)
{
    (void)state;
    double r1 = cb_canary_rate(), r2 = cb_canary_rate();
    assert_true(r1 > 0 && r2 > 0);
    struct cb_cpu_sample s;
    cb_cpu_sample_take(&s);
    assert_true(s.wall_ns > 0 && s.busy_s >= 0 && s.own_s >= 0);
}

/* A fake cgroup tree under a temporary folder. */
static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int make_root(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/cb-cgroup-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static double quota(const char *self)
{
    return cb_cgroup_cpu_quota(root, self);
}

static void test_cgroup_v2(void **state)
{
    (void)state;
    /* Nothing there: no quota. */
    assert_true(quota("0::/a/b\n") == 0);
    put("a/b/cpu.max", "max 100000\n");
    assert_true(quota("0::/a/b\n") == 0);
    put("a/b/cpu.max", "150000 100000\n");
    assert_true(quota("0::/a/b\n") == 1.5);
    /* A parent's smaller quota is the one that holds. */
    put("a/cpu.max", "50000 100000\n");
    assert_true(quota("0::/a/b\n") == 0.5);
    put("a/cpu.max", "max 100000\n");
    assert_true(quota("0::/a/b\n") == 1.5);
    /* The root cgroup: "/" */
    put("cpu.max", "200000 100000\n");
    assert_true(quota("0::/\n") == 2.0);
    put("cpu.max", "max 100000\n");
    put("a/b/cpu.max", "lots\n");
    assert_true(quota("0::/a/b\n") == -1);
}

static void test_cgroup_v1(void **state)
{
    (void)state;
    const char *self = "4:memory:/x\n2:cpu,cpuacct:/job\n1:cpuset:/\n";
    assert_true(quota(self) == 0);
    put("cpu,cpuacct/job/cpu.cfs_quota_us", "-1\n");
    put("cpu,cpuacct/job/cpu.cfs_period_us", "100000\n");
    assert_true(quota(self) == 0);
    put("cpu,cpuacct/job/cpu.cfs_quota_us", "250000\n");
    assert_true(quota(self) == 2.5);
    /* cpuacct alone is not the cpu controller. */
    assert_true(quota("2:cpuacct:/job\n") == 0);
    put("cpu,cpuacct/job/cpu.cfs_period_us", "zero\n");
    assert_true(quota(self) == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_stat_line),
        cmocka_unit_test(test_cpu_between),
        cmocka_unit_test(test_canary_runs),
        cmocka_unit_test_setup_teardown(test_cgroup_v2, make_root,
                                        remove_root),
        cmocka_unit_test_setup_teardown(test_cgroup_v1, make_root,
                                        remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
