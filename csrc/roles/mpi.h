/*
 * The mpi_pool mode's MPI side (roles/mpi_role.c), in processes of their
 * own: concbench never initialises MPI in a process that forks later.
 *
 * The master, forked by concbench's executable started in the role
 * --cb-mpi with two pipes (the keeper, which stays outside MPI and reaps
 * the pool's processes), initialises MPI as a singleton and starts the W
 * workers with MPI_Comm_spawn, the same executable in the same role (which
 * tells them apart by their MPI parent). It then serves batches:
 *   fd CB_MPI_CMD_FD (from the parent): a uint32 a batch; end of file: stop.
 *   fd CB_MPI_RESULT_FD (to the parent): one struct cb_task_result with
 *       task CB_MPI_HOST for each worker (a struct cb_mpi_host: its rank
 *       and its host), then one with task CB_MPI_READY once the workers
 *       exist, then every task's result of each batch, as they come;
 *       before the master ends the pool because a worker died, one with
 *       task CB_MPI_DIED, the worker's rank in .worker and the task it
 *       held in .digest (CB_MPI_NO_TASK: none). Records are smaller than
 *       PIPE_BUF.
 * Between master and workers: a task's index (int32, -1: stop) out, its
 * struct cb_task_result back, as bytes; at most one task a worker at once;
 * and from each worker a TCP connection to its master, its lifeline, which
 * ends when either process does, wherever it runs (Open MPI tells neither
 * side that the other died).
 *
 * Under mpirun (a process of mpirun's job: OMPI_COMM_WORLD_SIZE or
 * PMIX_RANK set), Open MPI 4.1 lets a run initialise MPI once (a second
 * master failed in MPI_Init: "getting local rank failed"), frees a spawned
 * job's slots only a while after it ended (a spawn right after: "All
 * nodes which are allocated for this job are already filled", and mpirun
 * then ran for ever once concbench had exited), and ends the whole job,
 * concbench with it, when a spawned process dies. So there the driver,
 * before any measurement, starts the role once as a probe (its argument
 * CB_MPI_PROBE): a master in mpirun's job that spawns a worker for each
 * slot mpirun has free, says their hosts as above, and stops them at end
 * of file; and puts them in CONCBENCH_MPI_HOSTS. Each pool's master is
 * then a singleton of its own, as on one host, outside mpirun's job
 * (what mpirun set in its environment removed), which places its workers
 * on those hosts (MPI_Comm_spawn's add-host), started over ssh by its
 * own daemon. Set by the user, CONCBENCH_MPI_HOSTS (HOST:N,...) places
 * them so without mpirun, and under it without the probe.
 */
#ifndef CB_ROLES_MPI_H
#define CB_ROLES_MPI_H

#include "role.h"

enum {
    CB_MPI_CMD_FD = CB_ROLE_FD,
    CB_MPI_RESULT_FD,
    CB_MPI_FDS = 2,
};

/* The role's one argument: a pool's master and workers, or the probe. */
enum { CB_MPI_POOL = 0, CB_MPI_PROBE = 1 };

/* Where the workers go: HOST:N,... (mpirun's --host form). */
#define CB_MPI_HOSTS_ENV "CONCBENCH_MPI_HOSTS"

/* The master's exit status when it saw a worker die. */
enum { CB_MPI_WORKER_DIED = 120 };

/* The tasks of the ready, died and host records. */
#define CB_MPI_READY 0xffffffffu
#define CB_MPI_DIED 0xfffffffeu
#define CB_MPI_HOST 0xfffffffdu
#define CB_MPI_NO_TASK UINT64_MAX

/*
 * A worker's host, in a record of the same size as a result: the name
 * MPI_Get_processor_name gives where the worker runs, every character but
 * letters, digits, '.', '_' and '-' made '_' (it goes into a label),
 * cut to fit, NUL-terminated.
 */
struct cb_mpi_host {
    uint32_t task; /* CB_MPI_HOST */
    int32_t worker; /* the worker's rank */
    char name[sizeof(struct cb_task_result) - 2 * sizeof(uint32_t)];
};
_Static_assert(sizeof(struct cb_mpi_host) == sizeof(struct cb_task_result),
               "a host record is a record");

/* The role's body: master or worker. */
__attribute__((noreturn)) void cb_mpi_role(const struct cb_role_call *call);

#endif
