// What the driver says about the suite and about a run: --list, and the
// context of the JSON (the machine, the build, the run's settings, the
// modes in the suite's order with their properties; where mpi_pool's
// workers ran, once the run has learnt it).
#ifndef CB_DESCRIBE_H
#define CB_DESCRIBE_H

#include "cli.h"

#include <string>

namespace cb {

// --list: the kernels (built in, from libraries, added by a test program),
// the modes with their properties, the baselines.
void print_list();

// Adds the run's context to Google Benchmark's (cb_gbench_add_context).
void add_context(const Options &o);

// json with mpi_worker_hosts in its context: every distinct worker_hosts=
// of the entries' labels (bench/suite.c; each measuring process learns it
// as its pool starts, after the context was written), joined by ' ', in
// the order first seen; json as it is where there is none.
std::string add_worker_hosts(const std::string &json);

} // namespace cb

#endif
