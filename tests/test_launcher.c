/*
 * The per-task runner (launcher.h) on a scripted fake worker, so that what
 * it promises is checked without threads or processes: it never has more
 * than W slots busy, launches every task once in task order as slots free
 * up, keeps a slot busy while collect says its worker runs, names the
 * lowest running task at the deadline, aborts the busy slots (and only
 * then) on a failed launch, wait or collect, and stamps when each task's
 * worker was collected.
 */
#include "launcher.h"
#include "testlib.h"

#include <string.h>

enum { MAX_T = 32 };

/* A fake: each launched task is ready at the next wait, in launch order. */
struct fake {
    unsigned launched[MAX_T]; /* tasks in launch order */
    unsigned n_launched;
    int slot_task[CB_MAX_WORKERS]; /* -1 when idle */
    unsigned most_busy;
    unsigned collects[MAX_T]; /* collect calls per task */
    unsigned fail_launch_of;  /* the task whose launch fails, or MAX_T */
    unsigned fail_collect_of; /* the task whose collect fails, or MAX_T */
    unsigned twice;           /* the task whose first collect says "runs" */
    bool never_ready;         /* wait returns 0: the deadline */
    bool aborted;
    unsigned aborted_busy;
};

static int fake_launch(void *ctx, unsigned slot, unsigned task,
                       struct cb_error *err)
{
    struct fake *f = ctx;
    if (task == f->fail_launch_of) {
        cb_error_set(err, "task %u: launch failed", task);
        return -1;
    }
    assert_int_equal(f->slot_task[slot], -1);
    f->slot_task[slot] = (int)task;
    f->launched[f->n_launched++] = task;
    unsigned busy = 0;
    for (unsigned s = 0; s < CB_MAX_WORKERS; s++)
        busy += f->slot_task[s] >= 0;
    if (busy > f->most_busy)
        f->most_busy = busy;
    return 0;
}

static int fake_wait(void *ctx, unsigned n, const bool *busy,
                     int64_t deadline_ns, bool *ready, struct cb_error *err)
{
    (void)deadline_ns;
    (void)err;
    struct fake *f = ctx;
    if (f->never_ready)
        return 0;
    int got = 0;
    for (unsigned s = 0; s < n; s++) {
        assert_int_equal(busy[s], f->slot_task[s] >= 0);
        if (busy[s]) {
            ready[s] = true;
            got++;
        }
    }
    return got;
}

static int fake_collect(void *ctx, unsigned slot, unsigned task,
                        struct cb_error *err)
{
    struct fake *f = ctx;
    assert_int_equal(f->slot_task[slot], (int)task);
    f->collects[task]++;
    if (task == f->twice && f->collects[task] == 1)
        return 1;
    f->slot_task[slot] = -1;
    if (task == f->fail_collect_of) {
        cb_error_set(err, "task %u: collect failed", task);
        return -1;
    }
    return 0;
}

static bool fake_abort(void *ctx, unsigned n, const bool *busy,
                       struct cb_error *err)
{
    (void)err;
    struct fake *f = ctx;
    f->aborted = true;
    for (unsigned s = 0; s < n; s++) {
        assert_int_equal(busy[s], f->slot_task[s] >= 0);
        f->aborted_busy += busy[s];
        f->slot_task[s] = -1;
    }
    return true;
}

static struct cb_task_result results[MAX_T];

static int run(struct fake *f, unsigned tasks, unsigned workers,
               struct cb_error *err)
{
    memset(results, 0, sizeof results);
    struct cb_job job = {.kernel = cb_kernel_find("noop"), .tasks = tasks,
                         .workers = workers, .timeout_ms = 1000};
    const struct cb_launcher l = {.ctx = f,
                                  .results = results,
                                  .launch = fake_launch,
                                  .wait = fake_wait,
                                  .collect = fake_collect,
                                  .abort = fake_abort};
    memset(err, 0, sizeof *err);
    return cb_launch_tasks(&job, &l, NULL, err);
}

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof *f);
    memset(f->slot_task, -1, sizeof f->slot_task);
    f->fail_launch_of = f->fail_collect_of = f->twice = MAX_T;
}

static void test_every_task_once_in_order_at_most_w(void **state)
{
    (void)state;
    static const unsigned shapes[][2] = {{7, 3}, {1, 1}, {5, 8}, {32, 4}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        unsigned T = shapes[i][0], W = shapes[i][1];
        struct fake f;
        fake_init(&f);
        f.twice = 2; /* its slot stays busy for one more round */
        struct cb_error err;
        assert_int_equal(run(&f, T, W, &err), 0);
        assert_int_equal(f.n_launched, T);
        for (unsigned t = 0; t < T; t++) {
            assert_int_equal(f.launched[t], t);
            assert_int_equal(f.collects[t], t == 2 ? 2 : 1);
        }
        assert_int_equal(f.most_busy, W < T ? W : T);
        assert_false(f.aborted);
        /* Each task's end was stamped when its worker was collected. */
        for (unsigned t = 0; t < T; t++)
            assert_true(results[t].collected_ns > 0);
    }
}

static void test_deadline_names_the_lowest_running_task(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.never_ready = true;
    struct cb_error err;
    assert_int_equal(run(&f, 9, 3, &err), -1);
    assert_string_equal(err.msg, "task 0 (and 2 more) still running after "
                                 "1000 ms: timed out");
    assert_true(f.aborted);
    assert_int_equal(f.aborted_busy, 3);
}

static void test_failures_abort_the_busy_slots(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f);
    f.fail_launch_of = 5;
    struct cb_error err;
    assert_int_equal(run(&f, 9, 3, &err), -1);
    assert_string_equal(err.msg, "task 5: launch failed");
    assert_true(f.aborted);
    assert_int_equal(f.n_launched, 5);

    fake_init(&f);
    f.fail_collect_of = 1;
    assert_int_equal(run(&f, 9, 3, &err), -1);
    assert_string_equal(err.msg, "task 1: collect failed");
    assert_true(f.aborted);
    /* Slot 1's worker has ended; only the other two are still busy. */
    assert_int_equal(f.aborted_busy, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once_in_order_at_most_w),
        cmocka_unit_test(test_deadline_names_the_lowest_running_task),
        cmocka_unit_test(test_failures_abort_the_busy_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
