/*
 * Running one task and measuring it from inside the worker. Every mode goes
 * through cb_task_run, so every mode measures the same things the same way:
 * the thread's own CPU clock and RUSAGE_THREAD, which are right both in a
 * thread of this process and in a forked child (whose CPU time the parent's
 * clocks never see).
 */
#include "executor.h"

#include "clock.h"

#include <sys/resource.h>

void cb_task_run(const struct cb_job *job, unsigned task,
                 const struct cb_worker *worker, const struct cb_task_io *io,
                 struct cb_task_result *out)
{
    struct cb_task_io shared = {NULL, NULL};
    if (!io && job->data)
        shared = (struct cb_task_io){cb_payload_input(job->data, task),
                                     cb_payload_output(job->data, task)};
    if (!io)
        io = &shared;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_THREAD, &ru0);
    int64_t cpu0 = cb_thread_cpu_ns();
    int64_t start = cb_now_ns();

    /*
     * Inside the measured interval: a mode's wait to begin (gil's lock) is
     * part of the task's wall time, as it is of a Python thread's.
     */
    const struct concbench_hooks *hooks = worker->hooks;
    if (hooks && hooks->task_begin)
        hooks->task_begin(worker->ctx);
    struct concbench_task t = cb_kernel_task(task, &job->params, worker);
    t.input = io->input;
    t.input_bytes = io->input ? job->params.payload : 0;
    uint64_t digest = cb_kernel_value_digest(task, job->kernel->run(&t));
    if (io->input && io->output)
        cb_payload_answer(io->input, io->output, job->params.payload, task);
    if (hooks && hooks->task_end)
        hooks->task_end(worker->ctx);

    int64_t end = cb_now_ns();
    int64_t cpu1 = cb_thread_cpu_ns();
    getrusage(RUSAGE_THREAD, &ru1);

    *out = (struct cb_task_result){
        .task = task,
        .worker = worker->slot,
        .filled = 1,
        .digest = digest,
        .start_ns = start,
        .end_ns = end,
        .cpu_ns = cpu1 - cpu0,
        .minflt = ru1.ru_minflt - ru0.ru_minflt,
        .nvcsw = ru1.ru_nvcsw - ru0.ru_nvcsw,
        .nivcsw = ru1.ru_nivcsw - ru0.ru_nivcsw,
        .collected_ns = end,
    };
}

int64_t cb_job_deadline(const struct cb_job *job)
{
    return cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
}

unsigned cb_job_slots(const struct cb_job *job)
{
    return job->workers < job->tasks ? job->workers : job->tasks;
}
