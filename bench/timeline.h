// The machine along a run: a boundary between every two repetitions (the
// canary, csrc/steady.h, and CPU samples just before and just after it),
// and what the boundaries on either side of a repetition say of the
// machine while it ran: how fast (the canary), how much other work and
// steal took (over at least kMinCpuWindowNs), and how many CPUs
// concbench's own processes used. Plain numbers out; no Google Benchmark.
#ifndef CB_TIMELINE_H
#define CB_TIMELINE_H

#include "steady.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cb {

// The CPU figures of a repetition are taken over at least this long, the
// repetition and as much of its neighbours as it takes: /proc/stat counts
// CPU time in ticks (10 ms), so over 2 ms a tick on another CPU read as 4
// CPUs busy.
constexpr int64_t kMinCpuWindowNs = 250000000;

// The machine between two repetitions: CPU samples taken just before the
// canary (the end of the last repetition) and just after it (the start of
// the next).
struct Boundary {
    cb_cpu_sample before, after;
    double canary; // loops per second
};

// Every boundary of a run, in time order: the first before the first
// repetition, then one after each. The repetition "at i" ran between
// boundaries i and i + 1.
class Timeline {
public:
    // A boundary now; its index.
    size_t mark();
    size_t last() const { return b_.size() - 1; }
    // Seconds from the first boundary to the end of boundary i (the start
    // of the repetition after it).
    double elapsed_s(size_t i) const;
    // The median canary so far: the machine's typical speed.
    double typical() const;

    // Of the repetition at i: seconds from its start to its end; seconds
    // from the run's start to its start and to its end.
    double seconds(size_t i) const;
    double start_s(size_t i) const { return elapsed_s(i); }
    double end_s(size_t i) const;
    // Its canaries (before and after) over typical; 0 when unknown.
    double speed(size_t i, double typical) const;
    // The CPUs other work and steal took around it (-1: unknown), and each
    // of the two (each -1 when unknown), over at least kMinCpuWindowNs.
    double load(size_t i) const;
    void cpu_around(size_t i, double *steal, double *other) const;
    // The CPUs concbench itself used over it (its processes, the one
    // measuring it and their children, all reaped by its end): what it
    // asked of the machine. -1: unknown.
    double own_cpus(size_t i) const;

private:
    std::vector<Boundary> b_;
};

} // namespace cb

#endif
