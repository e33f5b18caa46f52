// concbench: registers kernel x mode x workers as Google Benchmark
// benchmarks, adds the machine's context, runs them, and writes the JSON
// whole or not at all. It knows nothing of fork or threads: the benchmark
// body is C (bench/suite.c), and both reach Google Benchmark through the
// shim (bench/gbench.h). The command line is bench/cli.h's, the context
// and --list bench/describe.h's, the benchmarks bench/registry.h's, the
// run loop bench/rounds.h's.
#include "cli.h"
#include "describe.h"
#include "fixture.h"
#include "gbench.h"
#include "gbflags.h"
#include "guard.h"
#include "output.h"
#include "parent_rss.h"
#include "registry.h"
#include "role.h"
#include "rounds.h"
#include "suite.h"
#include "steady.h"
#include "sysinfo.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Google Benchmark's flags, with the driver's defaults in front so that
// the user's own win (its last occurrence of a flag does), as a C argv.
// Each call of Google Benchmark runs one repetition of one benchmark
// (bench/rounds.cc).
struct GbArgs {
    std::vector<std::string> args;
    std::vector<char *> argv;
    int argc = 0;
};

void gbench_args(GbArgs &a, const char *argv0, bool quick,
                 const std::vector<std::string> &gb)
{
    a.args = {argv0, cb::gbench_min_time_flag(quick ? "0.01"
                                                    : CB_DEFAULT_MIN_TIME)};
    a.args.insert(a.args.end(), gb.begin(), gb.end());
    a.args.push_back("--benchmark_repetitions=1");
    for (std::string &s : a.args)
        a.argv.push_back(s.data());
    a.argc = (int)a.argv.size();
    a.argv.push_back(nullptr);
}

// The kernels' fixtures (csrc/fixture.h: a server their tasks talk to),
// before the first repetition, their parameters given to those kernels'
// jobs; then what each mode must learn once for the run (where mpirun has
// slots for mpi_pool's workers), before the first measurement forks.
// False, with the error printed and the fixtures stopped, when one fails.
bool set_up(const cb::Options &o, cb::Cases &cases)
{
    cb_params settings{};
    settings.io_ms = o.io_ms;
    settings.timeout_ms = o.timeout_s * 1000;
    cb_error err{};
    if (cb_fixtures_start(o.kernels.data(), o.kernels.size(), &settings,
                          &err) < 0) {
        std::fprintf(stderr, "concbench: %s\n", err.msg);
        return false;
    }
    for (const auto &c : cases.modes)
        cb_fixture_params(c->job.kernel, &c->job.params);
    for (const cb_mode *m : o.modes) {
        err = cb_error{};
        if (m->setup && m->setup(&err) < 0) {
            std::fprintf(stderr, "concbench: %s\n", err.msg);
            cb_fixtures_stop();
            return false;
        }
    }
    return true;
}

cb::RoundsConfig rounds_config(const cb::Options &o, const cb::RunFlags &run,
                               const std::vector<cb::Selected> &selected)
{
    cb::RoundsConfig cfg;
    cfg.benchmarks = selected;
    cfg.repetitions = run.repetitions;
    cfg.order = o.order;
    cfg.auto_budget_s = o.auto_budget_s;
    cfg.margin = o.margin;
    cfg.batches = o.batches;
    double quota = cb_cpu_quota();
    cfg.cpus = cb_cpus_allowed();
    if (quota > 0 && quota < cfg.cpus)
        cfg.cpus = quota;
    cfg.display_aggregates_only = run.display_aggregates_only;
    cfg.report_aggregates_only = run.report_aggregates_only;
    cfg.tabular = run.tabular;
    cfg.color = cb::use_color(run.color);
    cfg.json_display = run.json_display;
    return cfg;
}

// The benchmarks that failed, on stderr; 1 if any did, else 0.
int report_failures()
{
    unsigned failed = cb_suite_failures();
    if (failed == 0)
        return 0;
    std::fprintf(stderr, "concbench: %u benchmark%s failed:\n", failed,
                 failed == 1 ? "" : "s");
    unsigned listed = 0;
    for (; listed < failed && *cb_suite_failure(listed); listed++)
        std::fprintf(stderr, "  %s\n", cb_suite_failure(listed));
    if (listed < failed)
        std::fprintf(stderr, "  and %u more\n", failed - listed);
    return 1;
}

// Whether the largest --parent-rss of the benchmarks that will run (those
// --benchmark_filter selected) fits in what the run can hold now
// (csrc/parent_rss.h); if not, one line on stderr. Each measuring process
// checks again before it holds it, as other work may have taken memory.
bool parent_rss_fits(const cb::Cases &cases,
                     const std::vector<cb::Selected> &selected)
{
    uint64_t largest = 0;
    for (const cb::Selected &s : selected) {
        // Its place in registration order: the modes' cases, then the
        // baselines' (bench/registry.cc).
        size_t i = (size_t)s.family_index, n = cases.modes.size();
        uint64_t bytes = i < n ? cases.modes[i]->parent_rss
                               : cases.baselines[i - n]->parent_rss;
        largest = std::max(largest, bytes);
    }
    char why[200];
    if (cb_parent_rss_fits(largest, why, sizeof why))
        return true;
    std::fprintf(stderr, "concbench: --parent-rss: %s\n", why);
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    // Before a kernel library is loaded, its init the first kernel code:
    // paths fixed, the guard up (csrc/guard.h).
    cb::make_paths_absolute(argc, argv);
    if (cb_guard_start(cb::remove_partial_output) < 0) {
        std::fprintf(stderr, "concbench: cannot guard the run: %s\n",
                     std::strerror(errno));
        return 1;
    }
    std::vector<std::string> gb;
    cb::Options o = cb::parse_args(argc, argv, gb);
    // Google Benchmark's flags are checked first (bench/gbflags.cc), then
    // the driver takes those it handles itself.
    if (std::string bad = cb::check_gbench_flags(gb); !bad.empty())
        cb::usage_error(bad);
    cb::RunFlags run = cb::take_run_flags(gb);
    if (o.auto_budget_s >= 0 && o.order == cb::Order::Sequential)
        cb::usage_error("--rounds=auto needs --order=rounds (extra rounds of "
                        "the undecided comparisons)");
    if (run.interleaving) {
        if (o.order_set && o.order == cb::Order::Sequential)
            cb::usage_error("--order=sequential and "
                            "--benchmark_enable_random_interleaving=true "
                            "contradict each other");
        o.order = cb::Order::Rounds;
    }
    int tuned = cb_kernels_init();
    if (tuned < 0) {
        std::fprintf(stderr, "concbench: cannot tune the allocator\n");
        return 1;
    }
    GbArgs a;
    gbench_args(a, argv[0], o.quick, gb);
    cb_gbench_initialize(&a.argc, a.argv.data());
    if (cb_gbench_report_unrecognized(a.argc, a.argv.data()))
        return cb::kUsageError;
    cb::Cases cases = cb::register_cases(o);
    std::vector<cb::Selected> selected = cb::select(cases.names, run.filter);
    if (selected.empty())
        cb::usage_error("--benchmark_filter: '" + run.filter +
                        "' matches no benchmark");
    if (run.list_tests) {
        for (const cb::Selected &s : selected)
            std::printf("%s\n", s.name.c_str());
        return 0;
    }
    if (!parent_rss_fits(cases, selected))
        return cb::kUsageError;
    cb::add_context(o);
    if (tuned > 0)
        std::fprintf(stderr, "concbench: a sanitizer's allocator: glibc's is "
                             "not tuned, timings are not comparable\n");

    // A crash or a signal while the file is written leaves nothing behind
    // (bench/output.cc); a kernel that ends the run says so (csrc/guard.h),
    // and a signal that ends it kills what the fixtures started.
    cb_guard_output(run.out.empty() ? nullptr : run.out.c_str());
    cb_guard_arm();
    if (!set_up(o, cases))
        return 1;
    bool rounds = o.order == cb::Order::Rounds && run.repetitions > 1;
    std::fprintf(stderr, "concbench: %zu benchmarks, %u tasks each, %u %s%s\n",
                 selected.size(), o.tasks, run.repetitions,
                 rounds ? (run.repetitions == 1 ? "round" : "rounds")
                        : (run.repetitions == 1 ? "repetition"
                                                : "repetitions each"),
                 run.out.empty() ? "" : (", JSON to " + run.out).c_str());
    std::string json = cb::add_worker_hosts(
        cb::run_rounds(rounds_config(o, run, selected)));
    cb_gbench_shutdown();
    cb_fixtures_stop();

    int status = report_failures();
    if (!run.out.empty()) {
        std::string why;
        if (!cb::write_whole(run.out, json, &why)) {
            std::fprintf(stderr, "concbench: %s: %s\n", run.out.c_str(),
                         why.c_str());
            return 1;
        }
        std::fprintf(stderr, "concbench: wrote %s\n", run.out.c_str());
    }
    return status;
}
