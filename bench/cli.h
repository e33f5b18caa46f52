// concbench's own command line: its fixed flags in one table that both
// parses them and writes --help, and the modes' options (csrc/options.h)
// as flags of their own. Limits and defaults come from cb_facts.h (the
// facts both sides share). Google Benchmark's flags (--benchmark_...) are
// passed on untouched, for bench/gbflags.h.
#ifndef CB_CLI_H
#define CB_CLI_H

#include "executor.h"
#include "rounds.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cb {

constexpr int kUsageError = 2;

// A mode option as the command line set it, for each option any mode
// takes (shared by the modes that take the same one): one value or
// several (--pool=kept,fresh), each a benchmark of its own.
struct ModeOption {
    const cb_option *option;
    std::string flag;                    // --name, '-' for '_'
    std::vector<cb_option_value> values; // at least one
    std::string text;                    // as given ("kept,fresh")
};

struct Options {
    std::vector<const cb_kernel *> kernels;
    std::vector<const cb_mode *> modes;
    std::vector<unsigned> workers;
    unsigned tasks = CB_DEFAULT_TASKS;
    unsigned io_ms = CB_DEFAULT_IO_MS;
    unsigned timeout_s = CB_DEFAULT_TIMEOUT_S;
    std::vector<uint64_t> payloads{0}; // --payload, bytes per task
    std::string payload_text = "0";
    std::vector<uint64_t> parent_rss{0}; // --parent-rss, bytes held
    std::string parent_rss_text = "0";
    std::vector<ModeOption> mode_options;
    Order order = Order::Rounds;
    bool order_set = false;
    double auto_budget_s = -1; // --rounds=auto[:S]; < 0: fixed
    double margin;             // --margin: a smaller difference is a tie
    unsigned batches = CB_DEFAULT_BATCHES; // --batches (bench/batches.h)
    bool quick = false;
    int baselines = -1; // -1: only when no kernel or mode is chosen
    bool kernels_set = false, modes_set = false, workers_set = false,
         tasks_set = false, io_ms_set = false;
};

[[noreturn]] void usage_error(const std::string &msg);

// Loads the kernel libraries of --kernel-lib, then takes concbench's flags
// out of argv, leaving Google Benchmark's in gb; --help and --list print
// and exit. A bad flag is a one-line error and exit status kUsageError.
Options parse_args(int argc, char **argv, std::vector<std::string> &gb);

// The paths of the command line, --benchmark_out's and --kernel-lib's,
// made absolute in argv before any kernel code runs: a kernel library's
// init or a kernel may change the working directory, and spawn and
// forkserver load a library again in a fresh image, wherever it then is.
void make_paths_absolute(int argc, char **argv);

// The mode's options as the command line set them: every combination of
// their values, one a benchmark, each in mode->options order.
std::vector<std::vector<cb_option_value>>
option_combinations(const Options &o, const cb_mode *mode);

} // namespace cb

#endif
