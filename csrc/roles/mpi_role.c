/*
 * The mpi_pool mode's master and workers (roles/mpi.h): one role, told
 * apart by MPI_Comm_get_parent, both in concbench's own executable. The
 * process concbench starts in it forks the master and keeps it
 * (keep_master): outside MPI, it reaps whatever the pool leaves.
 */
#include "roles/mpi.h"

#include "child.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <ifaddrs.h>
#include <limits.h>
#include <mpi.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
    TAG_TASK = 1,
    TAG_RESULT = 2,
    TAG_HELLO = 3,
    TAG_LIFELINE = 4,
    TAG_LINKED = 5,
    MAX_ARGS = 64,
    LIFELINE_LEN = 512,
    CONNECT_TIMEOUT_MS = 2000,
    STOP_WAIT_MS = 10000,
};

/* A worker's first message: where it runs, to watch it from there. */
struct hello {
    int32_t pid;
    char host[MPI_MAX_PROCESSOR_NAME];
};

/* The workers on the master's own host, whose deaths it can see. */
static pid_t local_pid[CB_MAX_WORKERS];

/*
 * Lifelines: a TCP connection from each worker to its master, which ends
 * when either process does, wherever it runs. Open MPI tells neither side
 * that the other died: a worker on another host that dies would hold its
 * task until the batch's timeout. The master's end of each, -1 where a
 * worker could not connect (it is then watched as before: by its pid on
 * this host, by the timeout elsewhere).
 */
static int lifeline[CB_MAX_WORKERS];

/* Set in a worker once its master said stop: its end is no death. */
static atomic_bool stopping;

/* The children of pid (of all its threads), at most max of them. */
static unsigned children_of(pid_t pid, pid_t *out, unsigned max)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    unsigned n = 0;
    for (struct dirent *e; d && n < max && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char file[sizeof path + sizeof e->d_name + 16];
        snprintf(file, sizeof file, "%s/%s/children", path, e->d_name);
        FILE *f = fopen(file, "re");
        for (int c; f && n < max && fscanf(f, "%d", &c) == 1;)
            out[n++] = (pid_t)c;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

/* Whether pid runs this very executable (a worker, not yet exec'd: no). */
static bool runs_exe(pid_t pid, const char *exe)
{
    char path[64], link[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t len = readlink(path, link, sizeof link - 1);
    if (len <= 0)
        return false;
    link[len] = '\0';
    return strcmp(link, exe) == 0;
}

/* Whether pid has ended: gone, or a zombie not reaped yet. */
static bool ended(pid_t pid)
{
    char path[64], state = 'X';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return true;
    int ok = fscanf(f, "%*d (%*[^)]) %c", &state);
    fclose(f);
    return ok != 1 || state == 'Z' || state == 'X';
}

/*
 * While the workers start (MPI_Comm_spawn, then their hellos), nothing of
 * MPI tells the master that one of them died: MPI_Comm_spawn waits on.
 * This thread watches the processes below the master (Open MPI's daemon
 * is its child, the workers on this host the daemon's children) that run
 * its executable, and one that ends before the pool is ready ends the master
 * with CB_MPI_WORKER_DIED at once (a worker on another host: the parent's
 * start timeout).
 */
struct start_watch {
    pthread_t thread;
    atomic_bool stop;
    const char *exe;
};

static void *watch_start(void *arg)
{
    struct start_watch *w = arg;
    pid_t seen[CB_MAX_WORKERS];
    unsigned n_seen = 0;
    const struct timespec pause = {0, 2000000};
    while (!atomic_load(&w->stop)) {
        pid_t kids[CB_MAX_WORKERS + 8], below[CB_MAX_WORKERS + 8];
        unsigned n_kids = children_of(getpid(), kids, CB_MAX_WORKERS + 8);
        for (unsigned k = 0; k < n_kids; k++) {
            unsigned n = children_of(kids[k], below, CB_MAX_WORKERS + 8);
            for (unsigned i = 0; i < n; i++) {
                bool known = false;
                for (unsigned j = 0; j < n_seen && !known; j++)
                    known = seen[j] == below[i];
                if (!known && n_seen < CB_MAX_WORKERS &&
                    runs_exe(below[i], w->exe))
                    seen[n_seen++] = below[i];
            }
        }
        for (unsigned j = 0; j < n_seen; j++)
            if (ended(seen[j]))
                _exit(CB_MPI_WORKER_DIED);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/*
 * What Open MPI needs to start processes here, for this role's processes
 * only: as root its opt-in, and, as a pool may have more workers than the
 * machine has cores, oversubscription (unless the user set otherwise).
 */
static void open_mpi_settings(void)
{
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    }
    setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
    /*
     * An idle Open MPI process polls for messages: yield the CPU while
     * polling, or W idle workers and the master take the CPUs from the
     * worker that computes (gmp_pow, 2 workers here: 67 ms a batch without,
     * 57 with, against process_pool's 20).
     */
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
}

/*
 * A pool's master under mpirun is a singleton of its own (roles/mpi.h):
 * without what mpirun gave this process, which would make MPI_Init join
 * mpirun's job (PMIX_*, OMPI_* but MCA parameters, and the MCA parameters
 * that name mpirun's job), but with the user's MCA parameters (how to
 * reach the hosts, plm_rsh_agent; which network, *_if_include).
 */
static void leave_mpirun(void)
{
    static const char *const mpiruns[] = {
        "PMIX_", "OMPI_MCA_ess", "OMPI_MCA_pmix", "OMPI_MCA_orte_",
        "OMPI_MCA_initial_wdir", "OMPI_MCA_shmem_",
        "OMPI_MCA_mpi_oversubscribe"};
    for (size_t i = 0; environ[i];) {
        const char *v = environ[i];
        bool drop = strncmp(v, "OMPI_", 5) == 0 &&
                    strncmp(v, "OMPI_MCA_", 9) != 0;
        for (size_t k = 0; !drop && k < sizeof mpiruns / sizeof *mpiruns;
             k++)
            drop = strncmp(v, mpiruns[k], strlen(mpiruns[k])) == 0;
        const char *eq = strchr(v, '=');
        char name[256];
        if (!drop || !eq || (size_t)(eq - v) >= sizeof name) {
            i++;
            continue;
        }
        memcpy(name, v, (size_t)(eq - v));
        name[eq - v] = '\0';
        unsetenv(name); /* environ[i] is the next one now */
    }
}

/* This process's own command line after argv[0], for the workers. */
static char **own_args(char *buf, size_t len, char **argv)
{
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;
    for (ssize_t got = 1; fd >= 0 && got > 0 && (size_t)n < len - 1;) {
        got = read(fd, buf + n, len - 1 - (size_t)n);
        n += got > 0 ? got : 0;
    }
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    size_t k = 0;
    for (char *p = buf + strlen(buf) + 1; p < buf + n && k < MAX_ARGS - 1;
         p += strlen(p) + 1)
        argv[k++] = p;
    argv[k] = NULL;
    return argv;
}

/* A TCP connection to addr, within CONNECT_TIMEOUT_MS; -1 if none. */
static int connect_to(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int error = 0;
        socklen_t len = sizeof error;
        if (errno != EINPROGRESS ||
            poll(&pfd, 1, CONNECT_TIMEOUT_MS) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 ||
            error != 0) {
            close(fd);
            return -1;
        }
    }
    fcntl(fd, F_SETFL, 0);
    return fd;
}

/* In a worker: ends it when its lifeline ends (its master is gone). */
static void *watch_master(void *arg)
{
    struct pollfd pfd = {.fd = (int)(intptr_t)arg, .events = POLLIN};
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    if (!atomic_load(&stopping))
        _exit(CB_EXIT_PROTOCOL);
    return NULL;
}

/*
 * In a worker: its lifeline to the master, from the master's addresses
 * ("A,B,...:PORT", lifeline_listen), the first that answers; tells the
 * master (TAG_LINKED) whether it got one.
 */
static void link_to_master(MPI_Comm parent, int rank)
{
    char where[LIFELINE_LEN];
    MPI_Recv(where, sizeof where, MPI_CHAR, 0, TAG_LIFELINE, parent,
             MPI_STATUS_IGNORE);
    where[sizeof where - 1] = '\0';
    int32_t linked = 0;
    char *colon = strrchr(where, ':');
    struct sockaddr_in addr = {.sin_family = AF_INET};
    if (colon) {
        *colon = '\0';
        addr.sin_port = htons((uint16_t)atoi(colon + 1));
    }
    char *save = NULL;
    for (char *a = colon ? strtok_r(where, ",", &save) : NULL; a && !linked;
         a = strtok_r(NULL, ",", &save)) {
        if (inet_pton(AF_INET, a, &addr.sin_addr) != 1)
            continue;
        int fd = connect_to(&addr);
        if (fd < 0)
            continue;
        pthread_t t;
        int32_t me = rank;
        if (cb_write_full(fd, &me, sizeof me) == 0 &&
            pthread_create(&t, NULL, watch_master, (void *)(intptr_t)fd) ==
                0) {
            pthread_detach(t);
            linked = 1;
        } else {
            close(fd);
        }
    }
    MPI_Send(&linked, 1, MPI_INT32_T, 0, TAG_LINKED, parent);
}

__attribute__((noreturn)) static void worker(const struct cb_job *job,
                                             MPI_Comm parent)
{
    int rank, len;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    struct hello h = {.pid = (int32_t)getpid()};
    MPI_Get_processor_name(h.host, &len);
    MPI_Send(&h, sizeof h, MPI_BYTE, 0, TAG_HELLO, parent);
    link_to_master(parent, rank);
    const struct cb_worker w = {.slot = rank};
    for (;;) {
        int32_t task;
        MPI_Recv(&task, 1, MPI_INT32_T, 0, TAG_TASK, parent,
                 MPI_STATUS_IGNORE);
        if (task < 0 || (unsigned)task >= job->tasks) {
            atomic_store(&stopping, true);
            break;
        }
        struct cb_task_result r;
        cb_task_run(job, (unsigned)task, &w, NULL, &r);
        MPI_Send(&r, sizeof r, MPI_BYTE, 0, TAG_RESULT, parent);
    }
    MPI_Comm_disconnect(&parent);
    MPI_Finalize();
    _exit(0);
}

static void send_task(MPI_Comm workers, int rank, int32_t task)
{
    MPI_Send(&task, 1, MPI_INT32_T, rank, TAG_TASK, workers);
}

/*
 * Wait for the request: test it, and between tests sleep 20 us and look
 * for a dead worker (Open MPI does not tell a job that the job it spawned
 * lost a process: the wait would last until the timeout): its lifeline
 * ended, or, on this host, its process. A dead worker ends the master with
 * CB_MPI_WORKER_DIED, after a CB_MPI_DIED record naming the task it held
 * (held[rank], with held NULL or a negative entry: none). A zombie counts
 * as dead: Open MPI's daemon reaps a crashed worker only a second or two
 * later (kill(pid, 0) saw it then: a crash took 3 s to report, against
 * 1 s this way).
 */
static void await(MPI_Request *req, MPI_Status *st, unsigned n,
                  const int32_t *held)
{
    const struct timespec pause = {0, 20000};
    for (unsigned k = 0;; k++) {
        int done = 0;
        MPI_Test(req, &done, st);
        if (done)
            return;
        nanosleep(&pause, NULL);
        for (unsigned i = 0; k % 64 == 0 && i < n; i++) {
            struct pollfd pfd = {.fd = lifeline[i], .events = POLLIN};
            bool cut = lifeline[i] >= 0 && poll(&pfd, 1, 0) == 1;
            if (!cut && (local_pid[i] <= 0 || !ended(local_pid[i])))
                continue;
            const struct cb_task_result died = {
                .task = CB_MPI_DIED, .worker = (int32_t)i,
                .digest = held && held[i] >= 0 ? (uint64_t)held[i]
                                               : CB_MPI_NO_TASK};
            cb_write_full(CB_MPI_RESULT_FD, &died, sizeof died);
            _exit(CB_MPI_WORKER_DIED);
        }
    }
}

/* The next message with tag from any worker, into buf; st says whose. */
static void receive(void *buf, int len, int tag, MPI_Comm workers,
                    unsigned n, const int32_t *held, MPI_Status *st)
{
    MPI_Request req;
    MPI_Irecv(buf, len, MPI_BYTE, MPI_ANY_SOURCE, tag, workers, &req);
    await(&req, st, n, held);
}

/* A worker's host for the parent (roles/mpi.h): its name, made safe. */
static void send_host(int rank, const char *host)
{
    struct cb_mpi_host h = {.task = CB_MPI_HOST, .worker = rank};
    size_t k = 0;
    for (; host[k] && k < sizeof h.name - 1; k++) {
        char c = host[k];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                     c == '-';
        h.name[k] = plain ? c : '_';
    }
    h.name[k] = '\0';
    if (cb_write_full(CB_MPI_RESULT_FD, &h, sizeof h) < 0)
        _exit(CB_EXIT_SEND);
}

/*
 * Each worker's hello: which of them this master can watch, and where
 * each runs, for the parent.
 */
static void greet(MPI_Comm workers, unsigned n)
{
    char here[MPI_MAX_PROCESSOR_NAME];
    int len;
    MPI_Get_processor_name(here, &len);
    for (unsigned i = 0; i < n; i++) {
        struct hello h;
        MPI_Status st;
        receive(&h, sizeof h, TAG_HELLO, workers, n, NULL, &st);
        if (st.MPI_SOURCE < 0 || (unsigned)st.MPI_SOURCE >= n)
            continue;
        h.host[sizeof h.host - 1] = '\0';
        if (strcmp(h.host, here) == 0)
            local_pid[st.MPI_SOURCE] = (pid_t)h.pid;
        send_host(st.MPI_SOURCE, h.host);
    }
}

/*
 * The master's listening socket for the lifelines, on every address of
 * this host, and where the workers may reach it: its IPv4 addresses
 * (loopback last) and port, "A,B,...:PORT". -1 if it has none.
 */
static int lifeline_listen(char *where, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof addr;
    struct ifaddrs *ifs = NULL;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(fd, CB_MAX_WORKERS) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0 ||
        getifaddrs(&ifs) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t used = 0;
    where[0] = '\0';
    for (int loop = 0; loop < 2; loop++)
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
            char a[INET_ADDRSTRLEN];
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
                !(i->ifa_flags & IFF_UP) ||
                !(i->ifa_flags & IFF_LOOPBACK) != !loop ||
                !inet_ntop(AF_INET,
                           &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
                           sizeof a) ||
                used + strlen(a) + 16 >= size)
                continue;
            used += (size_t)snprintf(where + used, size - used, "%s%s",
                                     used ? "," : "", a);
        }
    freeifaddrs(ifs);
    snprintf(where + used, size - used, ":%u", ntohs(addr.sin_port));
    return fd;
}

/*
 * Every worker's lifeline: where to reach this master out to each, then
 * each one's word whether it did, then their connections, each naming
 * its worker.
 */
static void link_workers(MPI_Comm workers, unsigned n)
{
    char where[LIFELINE_LEN];
    int fd = lifeline_listen(where, sizeof where);
    if (fd < 0)
        where[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        MPI_Send(where, (int)strlen(where) + 1, MPI_CHAR, (int)i,
                 TAG_LIFELINE, workers);
    unsigned linked = 0;
    for (unsigned i = 0; i < n; i++) {
        int32_t yes = 0;
        MPI_Status st;
        receive(&yes, sizeof yes, TAG_LINKED, workers, n, NULL, &st);
        linked += yes == 1;
    }
    for (; fd >= 0 && linked > 0; linked--) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int c = poll(&pfd, 1, CONNECT_TIMEOUT_MS) == 1
                    ? accept4(fd, NULL, NULL, SOCK_CLOEXEC)
                    : -1;
        int32_t rank = -1;
        if (c >= 0 && (cb_read_full(c, &rank, sizeof rank) != sizeof rank ||
                       rank < 0 || (unsigned)rank >= n ||
                       lifeline[rank] >= 0)) {
            close(c);
            continue;
        }
        if (c >= 0)
            lifeline[rank] = c;
    }
    if (fd >= 0)
        close(fd);
}

/* One batch: at most one task a worker, the next to whoever answers. */
static void serve_batch(unsigned tasks, MPI_Comm workers, unsigned n)
{
    int32_t held[CB_MAX_WORKERS]; /* each worker's task, -1: none */
    unsigned next = 0;
    for (unsigned i = 0; i < n; i++)
        held[i] = -1;
    for (; next < n && next < tasks; next++) {
        held[next] = (int32_t)next;
        send_task(workers, (int)next, (int32_t)next);
    }
    for (unsigned done = 0; done < tasks; done++) {
        struct cb_task_result r;
        MPI_Status st;
        receive(&r, sizeof r, TAG_RESULT, workers, n, held, &st);
        r.collected_ns = cb_now_ns();
        if (cb_write_full(CB_MPI_RESULT_FD, &r, sizeof r) < 0)
            _exit(CB_EXIT_SEND);
        int rank = st.MPI_SOURCE;
        held[rank] = -1;
        if (next < tasks) {
            held[rank] = (int32_t)next;
            send_task(workers, rank, (int32_t)next++);
        }
    }
    /*
     * What the batch's tasks left running on this host ends with it, as
     * concbench's sweep ends it in every other mode (child.h): a worker
     * has no children of its own. Killed, they are reaped by the keeper
     * once their worker ends and they come to it.
     */
    for (unsigned i = 0; i < n; i++) {
        pid_t left[CB_MAX_WORKERS];
        unsigned k = local_pid[i] > 0
                         ? children_of(local_pid[i], left, CB_MAX_WORKERS)
                         : 0;
        while (k > 0)
            kill(left[--k], SIGKILL);
    }
}

/*
 * Wait (up to STOP_WAIT_MS) for the workers told to stop to end, as their
 * lifelines do, so that the keeper finds nothing of them left.
 */
static void workers_gone(unsigned n)
{
    int64_t deadline = cb_now_ns() + STOP_WAIT_MS * 1000000LL;
    for (unsigned i = 0; i < n; i++) {
        struct pollfd pfd = {.fd = lifeline[i], .events = POLLIN};
        while (lifeline[i] >= 0 &&
               poll(&pfd, 1, cb_poll_ms_until(deadline)) < 0 &&
               errno == EINTR)
            ;
    }
}

/*
 * The hosts the workers go to (MPI_Comm_spawn's add-host, mpirun's --host
 * form), as the driver found them under mpirun (roles/mpi.h); none: this
 * host's singleton places them.
 */
static MPI_Info placement(void)
{
    const char *hosts = getenv(CB_MPI_HOSTS_ENV);
    if (!hosts || !*hosts)
        return MPI_INFO_NULL;
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "add-host", hosts);
    return info;
}

/*
 * Start n workers, exe with args, tell the parent their hosts and that
 * they are ready, serve its batches of tasks until it stops the pool (end
 * of file), and stop the workers. A thread watches the workers start
 * below this process (its singleton's, on this host). A failed spawn is
 * said on stderr, MPI's words, and is the status.
 */
__attribute__((noreturn)) static void serve(const char *exe, char **args,
                                            unsigned n, unsigned tasks)
{
    for (unsigned i = 0; i < n; i++)
        lifeline[i] = -1;
    MPI_Comm workers;
    int *codes = calloc(n, sizeof *codes);
    struct start_watch watch = {.exe = exe};
    if (!codes || pthread_create(&watch.thread, NULL, watch_start, &watch))
        _exit(CB_EXIT_SETUP);
    MPI_Info info = placement();
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    int rc = MPI_Comm_spawn(exe, args, (int)n, info, 0, MPI_COMM_SELF,
                            &workers, codes);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int len_text = 0;
        MPI_Error_string(rc, text, &len_text);
        fprintf(stderr, "concbench: mpi_pool: MPI_Comm_spawn of %u: %s\n",
                n, text);
        _exit(CB_EXIT_SETUP);
    }
    free(codes);
    greet(workers, n);
    link_workers(workers, n);
    atomic_store(&watch.stop, true);
    pthread_join(watch.thread, NULL);
    const struct cb_task_result ready = {.task = CB_MPI_READY};
    if (cb_write_full(CB_MPI_RESULT_FD, &ready, sizeof ready) < 0)
        _exit(CB_EXIT_SEND);
    for (;;) {
        uint32_t batch;
        ssize_t got = cb_read_full(CB_MPI_CMD_FD, &batch, sizeof batch);
        if (got <= 0)
            break; /* the parent is stopping the pool */
        serve_batch(tasks, workers, n);
    }
    for (unsigned i = 0; i < n; i++)
        send_task(workers, (int)i, -1);
    MPI_Comm_disconnect(&workers);
    workers_gone(n);
    MPI_Finalize();
    _exit(0);
}

/* The master of a pool: its workers run its own command line. */
__attribute__((noreturn)) static void master(const struct cb_role_call *call)
{
    const struct cb_job *job = &call->ex.job;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    static char cmdline[16384];
    char *args[MAX_ARGS];
    if (len <= 0 || !own_args(cmdline, sizeof cmdline, args)) {
        fprintf(stderr, "concbench: mpi_pool: cannot read its own command "
                "line\n");
        _exit(CB_EXIT_SETUP);
    }
    exe[len] = '\0';
    unsigned n = cb_job_slots(job);
    if (call->args[0] == CB_MPI_PROBE) {
        /* As many workers as mpirun has slots free, to see where. */
        int *universe = NULL, found = 0, size = 1;
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &universe,
                          &found);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        n = found && *universe > size ? (unsigned)(*universe - size) : 0;
        if (n > CB_MAX_WORKERS)
            n = CB_MAX_WORKERS;
        if (n == 0) {
            const struct cb_task_result ready = {.task = CB_MPI_READY};
            cb_write_full(CB_MPI_RESULT_FD, &ready, sizeof ready);
            MPI_Finalize();
            _exit(0);
        }
    }
    serve(exe, args, n, job->tasks);
}

static volatile pid_t kept_master; /* 0 once reaped */

static void stop_master(int sig)
{
    (void)sig;
    if (kept_master > 0)
        kill(kept_master, SIGKILL);
}

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

/*
 * The process concbench started stays outside MPI, as the MPI master's
 * keeper: a subreaper, so that what Open MPI's daemon and the workers
 * leave comes to it, with a session directory of its own for a singleton
 * ($TMPDIR/concbench-mpi-*: Open MPI leaves its own one, 4 MB in
 * $TMPDIR/ompi.*, behind when a job ends in a failure; under mpirun the
 * launcher's is used). It forks the master,
 * waits for it, then for everything below it (killed after 10 s), removes
 * the directory and exits as the master did; so once the parent has
 * reaped the keeper, nothing of the pool is left. SIGTERM (the parent
 * stopping a pool that failed, or ending on a signal: guard.h), SIGINT
 * and SIGHUP (a terminal's, which the whole process group gets) kill the
 * master, and so does the parent's death (SIGTERM, not cb_child_init's
 * SIGKILL): the keeper still reaps and removes all. They are held until
 * there is a master to kill.
 */
static void keep_master(pid_t parent)
{
    static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
    sigset_t stops, old;
    sigemptyset(&stops);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(&stops, stop_signals[i]);
    sigprocmask(SIG_BLOCK, &stops, &old);
    cb_child_init(parent);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(CB_EXIT_ORPHAN);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX];
    int len = snprintf(dir, sizeof dir, "%s/concbench-mpi-XXXXXX",
                       tmp && *tmp ? tmp : "/tmp");
    bool own_dir = !getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") &&
                   len > 0 && (size_t)len < sizeof dir && mkdtemp(dir);
    if (own_dir)
        setenv("OMPI_MCA_orte_tmpdir_base", dir, 1);
    /*
     * The pipes are the master's alone: Open MPI's daemon, which the
     * master execs, and so the workers must not hold them, or the parent
     * would see the master's end only once they have ended too.
     */
    fcntl(CB_MPI_CMD_FD, F_SETFD, FD_CLOEXEC);
    fcntl(CB_MPI_RESULT_FD, F_SETFD, FD_CLOEXEC);
    pid_t keeper = getpid();
    kept_master = fork();
    if (kept_master == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        cb_child_init(keeper);
        return;
    }
    close(CB_MPI_CMD_FD);
    close(CB_MPI_RESULT_FD);
    int status = CB_EXIT_SETUP << 8;
    if (kept_master > 0) {
        struct sigaction sa = {.sa_handler = stop_master};
        for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0];
             i++)
            sigaction(stop_signals[i], &sa, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        while (waitpid(kept_master, &status, 0) < 0 && errno == EINTR)
            ;
        kept_master = 0;
        int64_t deadline = cb_now_ns() + 10 * 1000000000LL;
        for (;;) {
            pid_t pid = waitpid(-1, NULL, WNOHANG);
            if (pid < 0 && errno == ECHILD)
                break;
            if (pid > 0)
                continue;
            if (cb_now_ns() > deadline) {
                pid_t kids[CB_MAX_WORKERS + 8];
                unsigned n = children_of(keeper, kids, CB_MAX_WORKERS + 8);
                for (unsigned i = 0; i < n; i++)
                    kill(kids[i], SIGKILL);
            }
            const struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    if (own_dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : CB_EXIT_SETUP);
}

void cb_mpi_role(const struct cb_role_call *call)
{
    MPI_Comm parent = MPI_COMM_NULL;
    bool is_master = getppid() == call->parent;
    if (is_master && call->args[0] == CB_MPI_POOL)
        leave_mpirun();
    if (is_master) {
        keep_master(call->parent);
        open_mpi_settings();
    } else {
        /*
         * Started by Open MPI's daemon: die with it. On another host its
         * environment is that daemon's, not the master's: yield when idle
         * there too.
         */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
    }
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "concbench: mpi_pool: MPI_Init failed\n");
        _exit(CB_EXIT_SETUP);
    }
    MPI_Comm_get_parent(&parent);
    if (parent != MPI_COMM_NULL) {
        /* As every worker does: the allocator set up the same way. */
        if (cb_kernels_init() < 0)
            _exit(CB_EXIT_SETUP);
        worker(&call->ex.job, parent);
    }
    master(call);
}
