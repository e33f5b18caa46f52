/*
 * The mpi_pool mode's MPI side (roles/mpi_role.c), in processes of their
 * own: concbench never initialises MPI in a process that forks later.
 *
 * The master, forked by concbench's executable started in the role
 * --cb-mpi with two pipes (the keeper, which stays outside MPI and reaps
 * the pool's processes), initialises MPI as a singleton and starts the W workers with
 * MPI_Comm_spawn, the same executable in the same role (which tells them
 * apart by their MPI parent). It then serves batches:
 *   fd CB_MPI_CMD_FD (from the parent): a uint32 a batch; end of file: stop.
 *   fd CB_MPI_RESULT_FD (to the parent): one struct cb_task_result with
 *       task CB_MPI_READY once the workers exist, then every task's result
 *       of each batch, as they come; before the master ends because a
 *       worker died, one with task CB_MPI_DIED, the worker's rank in
 *       .worker and the task it held in .digest (CB_MPI_NO_TASK: none).
 *       Records are smaller than PIPE_BUF.
 * Between master and workers: a task's index (int32, -1: stop) out, its
 * struct cb_task_result back, as bytes; at most one task a worker at once.
 */
#ifndef CB_ROLES_MPI_H
#define CB_ROLES_MPI_H

#include "role.h"

enum {
    CB_MPI_CMD_FD = CB_ROLE_FD,
    CB_MPI_RESULT_FD,
    CB_MPI_FDS = 2,
};

/* The master's exit status when it saw a worker die. */
enum { CB_MPI_WORKER_DIED = 120 };

/* The tasks of the ready and died records. */
#define CB_MPI_READY 0xffffffffu
#define CB_MPI_DIED 0xfffffffeu
#define CB_MPI_NO_TASK UINT64_MAX

/* The role's body: master or worker. */
__attribute__((noreturn)) void cb_mpi_role(const struct cb_role_call *call);

#endif
