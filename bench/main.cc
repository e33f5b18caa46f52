// concbench: registers kernel x mode x workers as Google Benchmark
// benchmarks, adds the machine's context, runs them, and writes the JSON
// whole or not at all. It knows nothing of fork or threads: the benchmark
// body is C (bench/suite.c), and both reach Google Benchmark through the
// shim (bench/gbench.h).
#include "cb_config.h"
#include "fixture.h"
#include "gbench.h"
#include "gbflags.h"
#include "guard.h"
#include "output.h"
#include "parse.h"
#include "role.h"
#include "rounds.h"
#include "steady.h"
#include "suite.h"
#include "sysinfo.h"
#include "verdict_rules.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kUsageError = 2;
constexpr double kDefaultBudgetS = 300; // --rounds=auto: the 5 minutes

// A mode option (csrc/options.h) as the command line set it; one for each
// option any mode takes, shared by the modes that take the same one. Its
// values: one, the default unless given, or several (--wait=passive,active),
// which make a benchmark of each, as --workers does.
struct ModeOption {
    const cb_option *option;
    std::string flag; // --name, '-' for '_'
    std::vector<cb_option_value> values;
};

// Every distinct option of the modes, in the order the modes declare them.
std::vector<ModeOption> mode_options()
{
    std::vector<ModeOption> out;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const cb_mode *mode = cb_modes[m];
        for (size_t i = 0; mode->options && mode->options[i]; i++) {
            const cb_option *o = mode->options[i];
            bool seen = false;
            for (const ModeOption &mo : out)
                seen |= mo.option == o;
            if (seen)
                continue;
            char flag[64];
            cb_option_flag(o, flag, sizeof flag);
            out.push_back({o, flag, {cb_option_default(o)}});
        }
    }
    return out;
}

struct Options {
    std::vector<const cb_kernel *> kernels;
    std::vector<const cb_mode *> modes;
    std::vector<unsigned> workers{1, 2, 4, 8, 16};
    unsigned tasks = 16;
    unsigned io_ms = 100;
    unsigned timeout_s = 60;
    std::vector<uint64_t> payloads{0}; // --payload, bytes per task
    std::string payload_text = "0";
    std::vector<ModeOption> mode_options = ::mode_options();
    cb::Order order = cb::Order::Rounds;
    bool order_set = false;
    double auto_budget_s = -1; // --rounds=auto[:S]; < 0: fixed
    double margin = cb::kMargin; // --margin: a smaller difference is a tie
    bool quick = false;
    int baselines = -1; // -1: only when no kernel or mode is chosen
    bool kernels_set = false, modes_set = false, workers_set = false, tasks_set = false,
         io_ms_set = false;
};

[[noreturn]] void usage_error(const std::string &msg)
{
    std::fprintf(stderr, "concbench: %s (see --help)\n", msg.c_str());
    std::exit(kUsageError);
}

// A benchmark kernel, or one a test program added (cb_kernels_add).
const cb_kernel *find_kernel(const std::string &name)
{
    return cb_kernel_by_name(name.c_str());
}

std::vector<std::string> split(const std::string &flag, const std::string &s)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma - start);
        if (item.empty())
            usage_error(flag + ": empty item in '" + s + "'");
        for (const std::string &seen : out)
            if (seen == item)
                usage_error(flag + ": '" + item + "' given twice");
        out.push_back(item);
        if (comma == std::string::npos)
            return out;
        start = comma + 1;
    }
}

// A value already in values (1024 after 1K, 2 after 02) would make a
// second benchmark of the same name.
template <typename T>
void add_once(const std::string &flag, std::vector<T> &values, T v,
              const std::string &item)
{
    for (T seen : values)
        if (seen == v)
            usage_error(flag + ": '" + item + "' given twice");
    values.push_back(v);
}

unsigned parse_number(const std::string &flag, const std::string &s,
                      unsigned min, unsigned max)
{
    unsigned v;
    int rc = cb_parse_uint(s.c_str(), min, max, &v);
    if (rc == -EINVAL)
        usage_error(flag + ": '" + s + "' is not a whole number");
    if (rc == -ERANGE)
        usage_error(flag + ": " + s + " is out of range (" +
                    std::to_string(min) + " to " + std::to_string(max) + ")");
    return v;
}

// text wrapped at 78 columns, every line indented by 20 but the first,
// which continues head.
std::string wrap(std::string head, const std::string &text)
{
    std::string out, line = head;
    line.resize(std::max<size_t>(line.size() + 1, 20), ' ');
    bool empty = true; // nothing of text on this line yet
    for (size_t start = 0; start < text.size();) {
        size_t space = text.find(' ', start);
        std::string word = text.substr(start, space - start);
        start = space == std::string::npos ? text.size() : space + 1;
        if (!empty && line.size() + 1 + word.size() > 78) {
            out += line + "\n";
            line = std::string(20, ' ');
            empty = true;
        }
        line += (empty ? "" : " ") + word;
        empty = false;
    }
    return out + line + "\n";
}

// The mode options' lines of --help: the flag, its help, the modes that
// take it, its range and its default.
std::string options_help()
{
    std::string out;
    for (const ModeOption &mo : mode_options()) {
        const cb_option *o = mo.option;
        std::string modes;
        for (size_t m = 0; m < cb_mode_count; m++)
            if (cb_mode_has_option(cb_modes[m], o))
                modes += std::string(modes.empty() ? "" : ", ") +
                         cb_modes[m]->name;
        std::string range =
            o->choices ? std::string("default: ") + o->choices[o->def]
                       : std::to_string(o->min) + " to " +
                             std::to_string(o->max) +
                             ", default: " + std::to_string(o->def);
        out += wrap("  " + mo.flag + "=" + o->metavar + ",...",
                    std::string(o->help) + " (" + modes + "; " + range +
                        "; several make a benchmark of each)");
    }
    return out;
}

void print_help()
{
    std::printf(
        "usage: concbench [options] [--benchmark_...=...]\n"
        "\n"
        "Runs batches of T tasks of each kernel with each strategy (mode) at\n"
        "each worker count W (at most W tasks at once) and reports the batch\n"
        "wall time as Google Benchmark's manual time.\n"
        "\n"
        "  --kernels=K,...   kernels to run (default: all but those --list\n"
        "                    marks \"only with --kernels\")\n"
        "  --kernel-lib=PATH load a library of kernels of your own (the\n"
        "                    interface: concbench_kernel.h); may be given\n"
        "                    more than once\n"
        "  --modes=M,...     modes to run (default: all but those --list\n"
        "                    marks \"only with --modes\")\n"
        "  --workers=W,...   worker counts, 1 to %u (default: 1,2,4,8,16;\n"
        "                    serial always runs with 1)\n"
        "  --tasks=T         tasks per batch, 1 to %u (default: 16)\n"
        "  --io-ms=N         io_sleep task length in ms, 1 to 60000 (default: "
        "100)\n"
        "  --timeout=S       a batch still running after S seconds fails, 1 to "
        "3600\n"
        "                    (default: 60)\n"
        "  --payload=B,...   each task gets an input of B bytes and answers\n"
        "                    with an output of B bytes (4K, 1M, 16M: binary\n"
        "                    units; 0 to 256M; default: 0, none; named\n"
        "                    /payload:B when not 0)\n"
        "  --order=rounds|sequential\n"
        "                    rounds (the default): round k runs every benchmark\n"
        "                    once, kernel by kernel in a random order, for k = 1\n"
        "                    to --benchmark_repetitions; sequential: each\n"
        "                    benchmark's repetitions back to back, in order\n"
        "  --rounds=fixed|auto[:S]\n"
        "                    fixed (the default): --benchmark_repetitions\n"
        "                    rounds; auto: then extra rounds of the\n"
        "                    comparisons still undecided (by\n"
        "                    scripts/compare's verdict: docs/verdicts.md),\n"
        "                    while the run stays within S seconds from its\n"
        "                    start (default: 300)\n"
        "  --margin=M        a difference smaller than M is a tie, for\n"
        "                    --rounds=auto's decisions (0.02 or 2%%; above 0,\n"
        "                    at most 50%%; default: 2%%)\n"
        "%s"
        "  --baselines       also run the bare loops the modes are measured\n"
        "                    against (fork+_exit+waitpid, pthread_create+join,\n"
        "                    gmp_pow and logpow in a loop); the default unless\n"
        "                    --kernels or --modes is given\n"
        "  --no-baselines    do not run them\n"
        "  --quick           a fast profile: --tasks=4 --workers=1,2,4 "
        "--io-ms=20\n"
        "                    and --benchmark_min_time=0.01; flags given win\n"
        "  --list            list kernels and modes, then exit\n"
        "  --help            this text\n"
        "\n"
        "Google Benchmark's own flags work too, for example\n"
        "--benchmark_repetitions=5 (rounds, or repetitions of each),\n"
        "--benchmark_filter=REGEX, --benchmark_min_time=SECONDS (default\n"
        "here: 0.2), --benchmark_out=FILE (JSON, written whole at the end or\n"
        "not at all).\n"
        "Exit status: 0, 1 if a benchmark failed, 2 for bad flags.\n",
        CB_MAX_WORKERS, CB_MAX_TASKS, options_help().c_str());
}

// A mode's properties, as the context's "modes" entry and --list show them:
// "pool,chunked", "" for none.
std::string mode_properties(const cb_mode *m)
{
    std::string props;
    auto add = [&](bool has, const char *name) {
        if (has)
            props += std::string(props.empty() ? "" : ",") + name;
    };
    add(m->single_worker, "single_worker");
    add(m->pool, "pool");
    add(cb_mode_chunked(m), "chunked");
    add(m->role != nullptr, "fresh_image");
    return props;
}

// The modes in the suite's order, "serial:single_worker thread ...".
std::string modes_context()
{
    std::string out;
    for (size_t i = 0; i < cb_mode_count; i++) {
        std::string props = mode_properties(cb_modes[i]);
        out += std::string(i ? " " : "") + cb_modes[i]->name +
               (props.empty() ? "" : ":" + props);
    }
    return out;
}

void print_list()
{
    std::printf("kernels:\n");
    for (size_t i = 0; i < cb_kernel_count; i++)
        std::printf("  %-13s %s%s\n", cb_kernels[i]->name,
                    cb_kernels[i]->summary,
                    cb_kernels[i]->opt_in ? "; only with --kernels" : "");
    const char *lib = nullptr;
    for (size_t i = 0; const cb_kernel *k = cb_kernel_loaded(i); i++) {
        if (!lib || std::strcmp(lib, k->library) != 0) {
            lib = k->library;
            std::printf("kernels from %s:\n", lib);
        }
        std::printf("  %-13s %s\n", k->name, k->summary);
    }
    if (cb_kernel_added(0)) {
        std::printf("kernels of this program only (not run by default):\n");
        for (size_t i = 0; const cb_kernel *k = cb_kernel_added(i); i++)
            std::printf("  %-13s %s\n", k->name, k->summary);
    }
    std::printf("modes (properties in brackets):\n");
    for (size_t i = 0; i < cb_mode_count; i++) {
        std::string props = mode_properties(cb_modes[i]);
        std::printf("  %-13s %s%s%s\n", cb_modes[i]->name,
                    props.empty() ? "" : ("[" + props + "] ").c_str(),
                    cb_modes[i]->summary,
                    cb_modes[i]->opt_in ? "; only with --modes" : "");
    }
    std::printf("baselines:\n");
    for (size_t i = 0; i < cb_baseline_count; i++)
        std::printf("  %-20s %s\n", cb_baselines[i].name,
                    cb_baselines[i].summary);
}

ModeOption *find_mode_option(Options &o, const std::string &flag)
{
    for (ModeOption &mo : o.mode_options)
        if (mo.flag == flag)
            return &mo;
    return nullptr;
}

void parse_mode_option(ModeOption &mo, const std::string &list)
{
    const cb_option *opt = mo.option;
    mo.values.clear();
    for (const std::string &value : split(mo.flag, list)) {
        cb_option_value v;
        int rc = cb_option_parse(opt, value.c_str(), &v);
        if (rc == -EINVAL)
            usage_error(mo.flag + ": '" + value + "' is " +
                        (opt->choices ? "not one of " +
                                            std::string(opt->metavar)
                         : opt->resolve_auto
                             ? "neither a whole number nor auto"
                             : "not a whole number"));
        if (rc == -ERANGE)
            usage_error(mo.flag + ": " + value + " is out of range (" +
                        std::to_string(opt->min) + " to " +
                        std::to_string(opt->max) + ")");
        // 2 after 02 would make a second benchmark of the same name.
        for (const cb_option_value &seen : mo.values)
            if (seen.is_auto == v.is_auto &&
                (v.is_auto || seen.value == v.value))
                usage_error(mo.flag + ": '" + value + "' given twice");
        mo.values.push_back(v);
    }
}

// Loads the kernel libraries of --kernel-lib=PATH (or --kernel-lib PATH),
// which may come anywhere on the command line, before --kernels is read.
void load_kernel_libs(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i], path;
        if (arg.rfind("--kernel-lib=", 0) == 0)
            path = arg.substr(std::strlen("--kernel-lib="));
        else if (arg == "--kernel-lib" && i + 1 < argc)
            path = argv[++i];
        else if (arg == "--kernel-lib")
            usage_error("--kernel-lib needs a value (--kernel-lib=...)");
        else
            continue;
        if (path.empty())
            usage_error("--kernel-lib needs a value (--kernel-lib=...)");
        char why[256];
        if (cb_kernel_lib_load(path.c_str(), why, sizeof why) < 0)
            usage_error("--kernel-lib: " + path + ": " + why);
    }
}

// Takes concbench's flags out of argv, leaving Google Benchmark's in gb.
Options parse_args(int argc, char **argv, std::vector<std::string> &gb)
{
    Options o;
    load_kernel_libs(argc, argv);
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        size_t eq = arg.find('=');
        std::string flag = arg.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        bool has_value = eq != std::string::npos;
        // Both --flag=value and --flag value.
        auto need_value = [&] {
            if (!has_value && i + 1 < argc) {
                value = argv[++i];
                has_value = true;
            }
            if (!has_value || value.empty())
                usage_error(flag + " needs a value (" + flag + "=...)");
        };
        if (arg.rfind("--benchmark_", 0) == 0) {
            gb.push_back(arg);
        } else if (flag == "--help" || flag == "-h") {
            print_help();
            std::exit(0);
        } else if (flag == "--list") {
            print_list();
            std::exit(0);
        } else if (flag == "--quick") {
            if (has_value)
                usage_error("--quick takes no value");
            o.quick = true;
        } else if (flag == "--baselines" || flag == "--no-baselines") {
            if (has_value)
                usage_error(flag + " takes no value");
            o.baselines = flag == "--baselines";
        } else if (flag == "--kernel-lib") {
            need_value(); // loaded already, by load_kernel_libs
        } else if (flag == "--kernels") {
            need_value();
            o.kernels.clear();
            for (const std::string &k : split(flag, value)) {
                const cb_kernel *kernel = find_kernel(k);
                if (!kernel)
                    usage_error(flag + ": unknown kernel '" + k + "'");
                o.kernels.push_back(kernel);
            }
            o.kernels_set = true;
        } else if (flag == "--modes") {
            o.modes_set = true;
            need_value();
            o.modes.clear();
            for (const std::string &m : split(flag, value)) {
                const cb_mode *mode = cb_mode_find(m.c_str());
                if (!mode)
                    usage_error(flag + ": unknown mode '" + m + "'");
                o.modes.push_back(mode);
            }
        } else if (flag == "--workers") {
            need_value();
            o.workers.clear();
            for (const std::string &w : split(flag, value))
                add_once(flag, o.workers,
                         parse_number(flag, w, 1, CB_MAX_WORKERS), w);
            o.workers_set = true;
        } else if (flag == "--tasks") {
            need_value();
            o.tasks = parse_number(flag, value, 1, CB_MAX_TASKS);
            o.tasks_set = true;
        } else if (flag == "--io-ms") {
            need_value();
            o.io_ms = parse_number(flag, value, 1, 60000);
            o.io_ms_set = true;
        } else if (flag == "--timeout") {
            need_value();
            o.timeout_s = parse_number(flag, value, 1, 3600);
        } else if (flag == "--payload") {
            need_value();
            o.payloads.clear();
            for (const std::string &item : split(flag, value)) {
                uint64_t bytes;
                int rc = cb_payload_parse(item.c_str(), &bytes);
                if (rc == -EINVAL)
                    usage_error(flag + ": '" + item + "' is not a size (like "
                                "4096, 4K, 1M, 16M)");
                if (rc == -ERANGE)
                    usage_error(flag + ": " + item + " is out of range (0 "
                                "to 256M)");
                add_once(flag, o.payloads, bytes, item);
            }
            o.payload_text = value;
        } else if (flag == "--order") {
            need_value();
            if (value != "rounds" && value != "sequential")
                usage_error(flag + ": '" + value +
                            "' is neither rounds nor sequential");
            o.order = value == "rounds" ? cb::Order::Rounds
                                        : cb::Order::Sequential;
            o.order_set = true;
        } else if (flag == "--rounds") {
            need_value();
            if (value == "fixed") {
                o.auto_budget_s = -1;
            } else if (value == "auto") {
                o.auto_budget_s = kDefaultBudgetS;
            } else if (value.rfind("auto:", 0) == 0) {
                std::string n = value.substr(5);
                char *end = nullptr;
                errno = 0;
                double budget = std::strtod(n.c_str(), &end);
                if (n.empty() || *end || errno || !(budget >= 0) ||
                    budget > 86400)
                    usage_error(flag + ": '" + n + "' is not a time budget "
                                "in seconds, 0 to 86400");
                o.auto_budget_s = budget;
            } else {
                usage_error(flag + ": '" + value + "' is neither fixed nor "
                            "auto[:SECONDS]");
            }
        } else if (flag == "--margin") {
            need_value();
            std::string n = value;
            bool percent = !n.empty() && n.back() == '%';
            if (percent)
                n.pop_back();
            char *end = nullptr;
            errno = 0;
            double m = std::strtod(n.c_str(), &end);
            if (percent)
                m /= 100;
            if (n.empty() || *end || errno || !(m > 0) || m > cb::kMaxMargin)
                usage_error(flag + ": '" + value + "' is not a margin above 0 "
                            "and at most 50% (0.02 or 2%)");
            o.margin = m;
        } else if (ModeOption *mo = find_mode_option(o, flag)) {
            need_value();
            parse_mode_option(*mo, value);
        } else {
            usage_error("unknown flag '" + arg + "'");
        }
    }
    if (!o.kernels_set) {
        for (size_t i = 0; i < cb_kernel_count; i++)
            if (!cb_kernels[i]->opt_in)
                o.kernels.push_back(cb_kernels[i]);
        for (size_t i = 0; const cb_kernel *k = cb_kernel_loaded(i); i++)
            o.kernels.push_back(k);
    }
    if (o.modes.empty())
        for (size_t i = 0; i < cb_mode_count; i++)
            if (!cb_modes[i]->opt_in)
                o.modes.push_back(cb_modes[i]);
    if (o.baselines < 0)
        o.baselines = !o.kernels_set && !o.modes_set;
    if (o.quick) {
        if (!o.tasks_set)
            o.tasks = 4;
        if (!o.workers_set)
            o.workers = {1, 2, 4};
        if (!o.io_ms_set)
            o.io_ms = 20;
    }
    return o;
}

// The paths of the command line, --benchmark_out's and --kernel-lib's,
// made absolute before any kernel code runs: a kernel library's init or a
// kernel may change the working directory, and spawn and forkserver load
// a library again in a fresh image, wherever it then is.
void make_paths_absolute(int argc, char **argv)
{
    static std::vector<std::string> kept; // what argv points to now
    kept.reserve((size_t)argc);
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i], flag, path;
        for (const char *f : {"--benchmark_out=", "--kernel-lib="})
            if (arg.rfind(f, 0) == 0)
                flag = f, path = arg.substr(std::strlen(f));
        if (arg == "--kernel-lib" && i + 1 < argc)
            path = argv[++i];
        if (path.empty() || path[0] == '/')
            continue;
        std::string cwd;
        for (size_t len = 4096; cwd.empty(); len *= 2) {
            std::vector<char> buf(len);
            if (getcwd(buf.data(), len))
                cwd = buf.data();
            else if (errno != ERANGE)
                usage_error((flag.empty() ? "--kernel-lib"
                                          : flag.substr(0, flag.size() - 1)) +
                            ": " + path + ": the working directory: " +
                            std::strerror(errno));
        }
        kept.push_back(flag + cwd + (cwd == "/" ? "" : "/") + path);
        argv[i] = kept.back().data();
    }
}

// The Google Benchmark flags the driver handles itself, taken out of gb
// once bench/gbflags.cc has checked them: the run loop is the driver's
// (bench/rounds.cc), and so is the output file.
struct RunFlags {
    std::string out;                 // --benchmark_out
    unsigned repetitions = 1;        // --benchmark_repetitions
    std::string filter = ".";        // --benchmark_filter
    bool list_tests = false;         // --benchmark_list_tests
    bool interleaving = false;       // --benchmark_enable_random_interleaving
    bool json_display = false;       // --benchmark_format=json
    bool display_aggregates_only = false;
    bool report_aggregates_only = false;
    bool tabular = false;            // --benchmark_counters_tabular
    std::string color = "auto";      // --benchmark_color
};

RunFlags take_run_flags(std::vector<std::string> &gb)
{
    RunFlags f;
    std::vector<std::string> rest;
    for (const std::string &arg : gb) {
        size_t eq = arg.find('=');
        std::string flag = arg.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        bool yes = cb::gbench_flag_true(value);
        if (flag == "--benchmark_out")
            f.out = value;
        else if (flag == "--benchmark_out_format")
            ; // json, the only one
        else if (flag == "--benchmark_format")
            f.json_display = value == "json";
        else if (flag == "--benchmark_repetitions")
            f.repetitions = (unsigned)std::stoul(value);
        else if (flag == "--benchmark_filter")
            f.filter = value;
        else if (flag == "--benchmark_list_tests")
            f.list_tests = yes;
        else if (flag == "--benchmark_enable_random_interleaving")
            f.interleaving = yes;
        else if (flag == "--benchmark_display_aggregates_only")
            f.display_aggregates_only = yes;
        else if (flag == "--benchmark_report_aggregates_only")
            f.report_aggregates_only = yes;
        else if (flag == "--benchmark_counters_tabular")
            f.tabular = yes;
        else if (flag == "--benchmark_color")
            f.color = value;
        else
            rest.push_back(arg);
    }
    gb = rest;
    return f;
}

// Whether the console gets colours: Google Benchmark's rule for auto.
bool use_color(const std::string &color)
{
    if (color == "auto") {
        const char *term = std::getenv("TERM");
        return isatty(STDOUT_FILENO) && term && std::strcmp(term, "dumb") != 0;
    }
    return cb::gbench_flag_true(color);
}

// The names --benchmark_filter selects, as Google Benchmark selects them:
// an extended regular expression searched in the name, "-" in front to
// negate, "" or "all" for every benchmark.
std::vector<cb::Selected> select(const std::vector<cb::Selected> &all,
                                 std::string spec)
{
    const std::string flag = "--benchmark_filter";
    if (spec.empty() || spec == "all")
        spec = ".";
    bool negative = spec[0] == '-';
    if (negative)
        spec.erase(0, 1);
    std::regex re(spec, std::regex_constants::extended); // checked already
    std::vector<cb::Selected> out;
    for (const cb::Selected &s : all)
        if (std::regex_search(s.name, re) != negative)
            out.push_back(s);
    return out;
}

void add_context(const Options &o)
{
    auto add = [](const char *key, const std::string &value) {
        cb_gbench_add_context(key, value.c_str());
    };
    add("concbench_version", CB_VERSION);
    cb_sysinfo_item items[16];
    size_t n = cb_sysinfo(items, 16);
    for (size_t i = 0; i < n; i++)
        add(items[i].key, items[i].value);
    add("benchmark_version", CB_BENCHMARK_VERSION);
    add("build_type", CB_BUILD_TYPE);
    add("tasks", std::to_string(o.tasks));
    add("io_ms", std::to_string(o.io_ms));
    add("timeout_s", std::to_string(o.timeout_s));
    char margin[32];
    std::snprintf(margin, sizeof margin, "%g", o.margin);
    add("margin", margin);
    add("payload", o.payload_text);
    for (const ModeOption &mo : o.mode_options) {
        std::string values;
        for (const cb_option_value &v : mo.values) {
            char value[16];
            cb_option_format(mo.option, &v, value, sizeof value);
            values += (values.empty() ? "" : ",") + std::string(value);
        }
        add(mo.option->name, values);
    }
    add("modes", modes_context());
    std::string libs;
    for (size_t i = 0; const cb_kernel *k = cb_kernel_loaded(i); i++)
        if (libs.find(k->library) == std::string::npos)
            libs += (libs.empty() ? "" : ":") + std::string(k->library);
    if (!libs.empty())
        add("kernel_libs", libs);
    double quota = cb_cpu_quota();
    char q[32];
    if (quota > 0)
        std::snprintf(q, sizeof q, "%g", quota);
    add("cpu_quota", quota > 0 ? q : quota == 0 ? "none" : "unknown");
}

// Where mpi_pool's workers ran, into the JSON's context as
// mpi_worker_hosts: every distinct worker_hosts= of the entries' labels
// (bench/suite.c; each measuring process learns it as its pool starts,
// after the context was written), joined by ' ', in the order first seen;
// nothing where there is none.
std::string add_worker_hosts(const std::string &json)
{
    const std::string label = "\"label\": \"", key = " worker_hosts=",
                      context = "\"context\": {\n";
    std::vector<std::string> seen;
    for (size_t at = json.find(label); at != std::string::npos;
         at = json.find(label, at + 1)) {
        size_t start = at + label.size(), end = json.find('"', start);
        size_t k = json.find(key, start);
        if (k == std::string::npos || k > end)
            continue;
        k += key.size();
        std::string hosts = json.substr(k, json.find_first_of(" \"", k) - k);
        if (std::find(seen.begin(), seen.end(), hosts) == seen.end())
            seen.push_back(hosts);
    }
    size_t at = json.find(context);
    if (seen.empty() || at == std::string::npos)
        return json;
    std::string all;
    for (const std::string &hosts : seen)
        all += (all.empty() ? "" : " ") + hosts;
    at += context.size();
    return json.substr(0, at) + "    \"mpi_worker_hosts\": \"" + all +
           "\",\n" + json.substr(at);
}

struct Cases {
    std::vector<std::unique_ptr<cb_suite_case>> modes;
    std::vector<std::unique_ptr<cb_suite_baseline>> baselines;
    // Every benchmark in registration order, as Google Benchmark names it;
    // a round runs a kernel's benchmarks together, the baselines together.
    std::vector<cb::Selected> names;
};

// Register one benchmark, known to the suite by name, label and its buffer
// for its first error (bench/suite.h).
void register_benchmark(Cases &cases, const char *name, const char *label,
                        char *failed, size_t failed_len, const char *group,
                        cb_gbench_fn fn, void *arg, unsigned workers = 1,
                        const std::string &compare = "")
{
    cb_gbench *b = cb_gbench_register(name, fn, arg);
    if (!b) {
        std::fprintf(stderr, "concbench: cannot register %s\n", name);
        std::exit(1);
    }
    cb_gbench_use_manual_time(b);
    cb_gbench_set_unit(b, CB_GBENCH_MS);
    cb::Selected s;
    s.name = std::string(name) + "/manual_time"; // manual time adds this
    s.group = group;
    s.compare = compare;
    s.family_index = (int64_t)cases.names.size();
    s.workers = workers;
    s.label = label;
    s.failed = [name, failed, failed_len](const std::string &msg) {
        cb_suite_note_failure(name, failed, failed_len, msg.c_str());
    };
    cases.names.push_back(std::move(s));
}

// Every combination of the values given for m's options, in m->options
// order: one set of defaults where none was given several.
std::vector<std::vector<cb_option_value>> option_sets(const Options &o,
                                                      const cb_mode *m)
{
    std::vector<std::vector<cb_option_value>> sets{{}};
    for (size_t i = 0; m->options && m->options[i]; i++) {
        std::vector<cb_option_value> values{cb_option_default(m->options[i])};
        for (const ModeOption &mo : o.mode_options)
            if (mo.option == m->options[i])
                values = mo.values;
        std::vector<std::vector<cb_option_value>> more;
        for (const auto &set : sets)
            for (const cb_option_value &v : values) {
                more.push_back(set);
                more.back().push_back(v);
            }
        sets = std::move(more);
    }
    return sets;
}

Cases register_cases(const Options &o)
{
    Cases cases;
    std::map<std::string, std::string> serial_of; // workload -> serial name
    for (const cb_kernel *k : o.kernels) {
        for (const cb_mode *m : o.modes) {
            std::vector<unsigned> ws = o.workers;
            if (m->single_worker)
                ws = {1};
            for (unsigned w : ws)
            for (uint64_t payload : o.payloads)
            for (const auto &opt : option_sets(o, m)) {
                auto c = std::make_unique<cb_suite_case>();
                c->mode = m;
                c->job.kernel = k;
                c->job.params.io_ms = o.io_ms;
                c->job.params.payload = payload;
                c->job.tasks = o.tasks;
                c->job.workers = w;
                c->job.timeout_ms = o.timeout_s * 1000;
                std::copy(opt.begin(), opt.end(), c->opt);
                cb_suite_case_name(c.get());
                // What scripts/compare compares it with: the strategies of
                // its kernel, payload, tasks and workers; and its serial.
                std::string workload = std::string(k->name) + "/payload:" +
                                       std::to_string(payload);
                register_benchmark(cases, c->name, c->label, c->failed,
                                   sizeof c->failed, k->name, cb_suite_bench,
                                   c.get(), w,
                                   workload + "/workers:" +
                                       std::to_string(w));
                if (m->single_worker)
                    serial_of[workload] = cases.names.back().name;
                cases.modes.push_back(std::move(c));
            }
        }
    }
    for (size_t i = 0; i < cases.modes.size(); i++) {
        std::string compare = cases.names[i].compare;
        auto found = serial_of.find(compare.substr(0, compare.rfind('/')));
        if (found != serial_of.end() && found->second != cases.names[i].name)
            cases.names[i].serial = found->second;
    }
    for (size_t i = 0; o.baselines && i < cb_baseline_count; i++) {
        auto c = std::make_unique<cb_suite_baseline>();
        c->baseline = &cb_baselines[i];
        c->tasks = o.tasks;
        c->params.io_ms = o.io_ms;
        cb_suite_baseline_name(c.get());
        register_benchmark(cases, c->name, c->label, c->failed,
                           sizeof c->failed, "baseline",
                           cb_suite_baseline_bench, c.get());
        cases.baselines.push_back(std::move(c));
    }
    return cases;
}

} // namespace

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    // Before a kernel library is loaded, its init the first kernel code:
    // paths fixed, the guard up (csrc/guard.h).
    make_paths_absolute(argc, argv);
    if (cb_guard_start(cb::remove_partial_output) < 0) {
        std::fprintf(stderr, "concbench: cannot guard the run: %s\n",
                     std::strerror(errno));
        return 1;
    }
    std::vector<std::string> gb;
    Options o = parse_args(argc, argv, gb);
    // Google Benchmark's flags are checked first (bench/gbflags.cc), then
    // the driver takes those it handles itself.
    if (std::string bad = cb::check_gbench_flags(gb); !bad.empty())
        usage_error(bad);
    RunFlags run = take_run_flags(gb);
    if (o.auto_budget_s >= 0 && o.order == cb::Order::Sequential)
        usage_error("--rounds=auto needs --order=rounds (extra rounds of "
                    "the undecided comparisons)");
    if (run.interleaving) {
        if (o.order_set && o.order == cb::Order::Sequential)
            usage_error("--order=sequential and "
                        "--benchmark_enable_random_interleaving=true "
                        "contradict each other");
        o.order = cb::Order::Rounds;
    }
    std::string why;
    int tuned = cb_kernels_init();
    if (tuned < 0) {
        std::fprintf(stderr, "concbench: cannot tune the allocator\n");
        return 1;
    }

    // Defaults first, so that the user's own --benchmark_ flags override
    // them: Google Benchmark's last occurrence of a flag wins. Each call
    // runs one repetition of one benchmark (bench/rounds.cc).
    std::vector<std::string> args{argv[0]};
    args.push_back(cb::gbench_min_time_flag(o.quick ? "0.01" : "0.2"));
    args.insert(args.end(), gb.begin(), gb.end());
    args.push_back("--benchmark_repetitions=1");
    std::vector<char *> cargv;
    for (std::string &a : args)
        cargv.push_back(a.data());
    int cargc = (int)cargv.size();
    cargv.push_back(nullptr);

    cb_gbench_initialize(&cargc, cargv.data());
    if (cb_gbench_report_unrecognized(cargc, cargv.data()))
        return kUsageError;
    Cases cases = register_cases(o);
    std::vector<cb::Selected> selected = select(cases.names, run.filter);
    if (selected.empty())
        usage_error("--benchmark_filter: '" + run.filter +
                    "' matches no benchmark");
    if (run.list_tests) {
        for (const cb::Selected &s : selected)
            std::printf("%s\n", s.name.c_str());
        return 0;
    }
    add_context(o);
    if (tuned > 0)
        std::fprintf(stderr, "concbench: a sanitizer's allocator: glibc's is "
                             "not tuned, timings are not comparable\n");

    // A crash or a signal while the file is written leaves nothing behind
    // (bench/output.cc); a kernel that ends the run says so (csrc/guard.h).
    cb_guard_output(run.out.empty() ? nullptr : run.out.c_str());
    cb_guard_arm();
    // The fixtures of the kernels it runs (csrc/fixture.h: a server their
    // tasks talk to), before the first repetition, and their parameters
    // to those kernels' jobs; torn down at the end. A signal that ends
    // the run kills what they started (csrc/guard.h).
    cb_params settings{};
    settings.io_ms = o.io_ms;
    settings.timeout_ms = o.timeout_s * 1000;
    cb_error err{};
    if (cb_fixtures_start(o.kernels.data(), o.kernels.size(), &settings,
                          &err) < 0) {
        std::fprintf(stderr, "concbench: %s\n", err.msg);
        return 1;
    }
    for (const auto &c : cases.modes)
        cb_fixture_params(c->job.kernel, &c->job.params);
    // What a mode must learn once for the run (where mpirun has slots for
    // mpi_pool's workers), before the first measurement forks.
    for (const cb_mode *m : o.modes) {
        err = cb_error{};
        if (m->setup && m->setup(&err) < 0) {
            std::fprintf(stderr, "concbench: %s\n", err.msg);
            cb_fixtures_stop();
            return 1;
        }
    }
    bool rounds = o.order == cb::Order::Rounds && run.repetitions > 1;
    std::fprintf(stderr, "concbench: %zu benchmarks, %u tasks each, %u %s%s\n",
                 selected.size(), o.tasks, run.repetitions,
                 rounds ? (run.repetitions == 1 ? "round" : "rounds")
                        : (run.repetitions == 1 ? "repetition"
                                                : "repetitions each"),
                 run.out.empty() ? "" : (", JSON to " + run.out).c_str());

    cb::RoundsConfig cfg;
    cfg.benchmarks = selected;
    cfg.repetitions = run.repetitions;
    cfg.order = o.order;
    cfg.auto_budget_s = o.auto_budget_s;
    cfg.margin = o.margin;
    double quota = cb_cpu_quota();
    cfg.cpus = cb_cpus_allowed();
    if (quota > 0 && quota < cfg.cpus)
        cfg.cpus = quota;
    cfg.display_aggregates_only = run.display_aggregates_only;
    cfg.report_aggregates_only = run.report_aggregates_only;
    cfg.tabular = run.tabular;
    cfg.color = use_color(run.color);
    cfg.json_display = run.json_display;
    std::string json = add_worker_hosts(cb::run_rounds(cfg));
    cb_gbench_shutdown();
    cb_fixtures_stop();

    int status = 0;
    unsigned failed = cb_suite_failures();
    if (failed > 0) {
        std::fprintf(stderr, "concbench: %u benchmark%s failed:\n", failed,
                     failed == 1 ? "" : "s");
        unsigned listed = 0;
        for (; listed < failed && *cb_suite_failure(listed); listed++)
            std::fprintf(stderr, "  %s\n", cb_suite_failure(listed));
        if (listed < failed)
            std::fprintf(stderr, "  and %u more\n", failed - listed);
        status = 1;
    }
    if (!run.out.empty()) {
        if (!cb::write_whole(run.out, json, &why)) {
            std::fprintf(stderr, "concbench: %s: %s\n", run.out.c_str(),
                         why.c_str());
            return 1;
        }
        std::fprintf(stderr, "concbench: wrote %s\n", run.out.c_str());
    }
    return status;
}
