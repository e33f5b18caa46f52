// concbench: registers kernel x mode x workers as Google Benchmark
// benchmarks, adds the machine's context, runs them, and writes the JSON
// whole or not at all. It knows nothing of fork or threads: the benchmark
// body is C (csrc/suite.c) and reaches Google Benchmark through the shim.
#include "cb_config.h"
#include "gbflags.h"
#include "parse.h"
#include "role.h"
#include "suite.h"
#include "sysinfo.h"

#include <benchmark/benchmark.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kUsageError = 2;

struct Options {
    std::vector<const cb_kernel *> kernels;
    std::vector<const cb_mode *> modes;
    std::vector<unsigned> workers{1, 2, 4, 8, 16};
    unsigned tasks = 16;
    unsigned io_ms = 100;
    unsigned timeout_s = 60;
    unsigned chunk = 1;      // the pools' chunk size, unless chunk_auto
    bool chunk_auto = false; // Pool.map's rule, per worker count
    unsigned switch_us = CB_SWITCH_US;
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

bool fault_kernels_enabled()
{
    const char *e = std::getenv("CONCBENCH_FAULT_KERNELS");
    return e && std::strcmp(e, "1") == 0;
}

const cb_kernel *find_kernel(const std::string &name)
{
    if (const cb_kernel *k =
            cb_kernel_find(cb_kernels, cb_kernel_count, name.c_str()))
        return k;
    if (fault_kernels_enabled())
        return cb_kernel_find(cb_fault_kernels, cb_fault_kernel_count,
                              name.c_str());
    return nullptr;
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

void print_help()
{
    std::printf(
        "usage: concbench [options] [--benchmark_...=...]\n"
        "\n"
        "Runs batches of T tasks of each kernel with each strategy (mode) at\n"
        "each worker count W (at most W tasks at once) and reports the batch\n"
        "wall time as Google Benchmark's manual time.\n"
        "\n"
        "  --kernels=K,...   kernels to run (default: all; see --list)\n"
        "  --modes=M,...     modes to run (default: all; see --list)\n"
        "  --workers=W,...   worker counts, 1 to %u (default: 1,2,4,8,16;\n"
        "                    serial always runs with 1)\n"
        "  --tasks=T         tasks per batch, 1 to %u (default: 16)\n"
        "  --io-ms=N         io_sleep task length in ms, 1 to 60000 (default: "
        "100)\n"
        "  --timeout=S       a batch still running after S seconds fails, 1 to "
        "3600\n"
        "                    (default: 60)\n"
        "  --chunk=N|auto    tasks a pool worker takes at a time, 1 to %u, or\n"
        "                    auto: ceil(T / (4 W)), Python's Pool.map rule\n"
        "                    (default: 1; named /chunk:N when not 1)\n"
        "  --switch-us=N     gil's switch interval in microseconds, 1 to "
        "1000000\n"
        "                    (default: %u, Python's sys.getswitchinterval())\n"
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
        "--benchmark_repetitions=5, --benchmark_filter=REGEX,\n"
        "--benchmark_min_time=SECONDS (default here: 0.2),\n"
        "--benchmark_out=FILE (written whole or not at all).\n"
        "Exit status: 0, 1 if a benchmark failed, 2 for bad flags.\n",
        CB_MAX_WORKERS, CB_MAX_TASKS, CB_MAX_TASKS, CB_SWITCH_US);
}

void print_list()
{
    std::printf("kernels:\n");
    for (size_t i = 0; i < cb_kernel_count; i++)
        std::printf("  %-13s %s\n", cb_kernels[i].name, cb_kernels[i].summary);
    std::printf("modes:\n");
    for (size_t i = 0; i < cb_mode_count; i++)
        std::printf("  %-13s %s\n", cb_modes[i]->name, cb_modes[i]->summary);
    std::printf("baselines:\n");
    for (size_t i = 0; i < cb_baseline_count; i++)
        std::printf("  %-20s %s\n", cb_baselines[i].name,
                    cb_baselines[i].summary);
}

// Takes concbench's flags out of argv, leaving Google Benchmark's in gb.
Options parse_args(int argc, char **argv, std::vector<std::string> &gb)
{
    Options o;
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
                o.workers.push_back(parse_number(flag, w, 1, CB_MAX_WORKERS));
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
        } else if (flag == "--chunk") {
            need_value();
            o.chunk_auto = value == "auto";
            if (!o.chunk_auto && !value.empty() &&
                !std::isdigit((unsigned char)value[0]))
                usage_error(flag + ": '" + value +
                            "' is neither a whole number nor auto");
            o.chunk = o.chunk_auto ? 0
                                   : parse_number(flag, value, 1, CB_MAX_TASKS);
        } else if (flag == "--switch-us") {
            need_value();
            o.switch_us = parse_number(flag, value, 1, 1000000);
        } else {
            usage_error("unknown flag '" + arg + "'");
        }
    }
    if (!o.kernels_set)
        for (size_t i = 0; i < cb_kernel_count; i++)
            o.kernels.push_back(&cb_kernels[i]);
    if (o.modes.empty())
        for (size_t i = 0; i < cb_mode_count; i++)
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

// The JSON goes to a temporary name and is renamed when the run is over,
// so a crash, a kill or Ctrl-C never leaves a half-written file behind.
char tmp_path[4096];
pid_t main_pid;

extern "C" void remove_tmp_and_die(int sig)
{
    if (getpid() == main_pid && tmp_path[0])
        unlink(tmp_path);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

// Rewrites --benchmark_out=PATH to a temporary file beside PATH; returns
// PATH, or "" if there is none.
std::string redirect_output(std::vector<std::string> &gb)
{
    std::string final_path;
    for (std::string &arg : gb) {
        const std::string key = "--benchmark_out=";
        if (arg.rfind(key, 0) != 0)
            continue;
        final_path = arg.substr(key.size());
        if (final_path.empty())
            usage_error("--benchmark_out needs a file name");
        std::snprintf(tmp_path, sizeof tmp_path, "%s.tmp-%d",
                      final_path.c_str(), (int)getpid());
        arg = key + tmp_path;
    }
    if (final_path.empty())
        return final_path;
    FILE *f = std::fopen(tmp_path, "w");
    if (!f)
        usage_error("--benchmark_out: cannot write " + final_path + ": " +
                    std::strerror(errno));
    std::fclose(f);
    main_pid = getpid();
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE})
        std::signal(sig, remove_tmp_and_die);
    return final_path;
}

void add_context(const Options &o)
{
    benchmark::AddCustomContext("concbench_version", CB_VERSION);
    cb_sysinfo_item items[16];
    size_t n = cb_sysinfo(items, 16);
    for (size_t i = 0; i < n; i++)
        benchmark::AddCustomContext(items[i].key, items[i].value);
    benchmark::AddCustomContext("benchmark_version", CB_BENCHMARK_VERSION);
    benchmark::AddCustomContext("build_type", CB_BUILD_TYPE);
    benchmark::AddCustomContext("tasks", std::to_string(o.tasks));
    benchmark::AddCustomContext("io_ms", std::to_string(o.io_ms));
    benchmark::AddCustomContext("timeout_s", std::to_string(o.timeout_s));
    benchmark::AddCustomContext("chunk", o.chunk_auto ? "auto"
                                                      : std::to_string(o.chunk));
    benchmark::AddCustomContext("switch_us", std::to_string(o.switch_us));
}

struct Cases {
    std::vector<std::unique_ptr<cb_suite_case>> modes;
    std::vector<std::unique_ptr<cb_suite_baseline>> baselines;
    size_t size() const { return modes.size() + baselines.size(); }
};

void register_benchmark(const char *name, cb_gbench_fn fn, void *arg)
{
    cb_gbench *b = cb_gbench_register(name, fn, arg);
    if (!b) {
        std::fprintf(stderr, "concbench: cannot register %s\n", name);
        std::exit(1);
    }
    cb_gbench_use_manual_time(b);
    cb_gbench_set_unit(b, CB_GBENCH_MS);
}

Cases register_cases(const Options &o)
{
    Cases cases;
    for (const cb_kernel *k : o.kernels) {
        for (const cb_mode *m : o.modes) {
            std::vector<unsigned> ws = o.workers;
            if (m->single_worker)
                ws = {1};
            for (unsigned w : ws) {
                auto c = std::make_unique<cb_suite_case>();
                c->mode = m;
                c->job.kernel = k;
                c->job.params.io_ms = o.io_ms;
                c->job.tasks = o.tasks;
                c->job.workers = w;
                c->job.timeout_ms = o.timeout_s * 1000;
                c->job.switch_us = o.switch_us;
                if (m->chunked) {
                    c->chunk_auto = o.chunk_auto;
                    c->job.chunk = o.chunk_auto ? cb_chunk_auto(o.tasks, w)
                                                : o.chunk;
                }
                cb_suite_case_name(c.get());
                register_benchmark(c->name, cb_suite_bench, c.get());
                cases.modes.push_back(std::move(c));
            }
        }
    }
    for (size_t i = 0; o.baselines && i < cb_baseline_count; i++) {
        auto c = std::make_unique<cb_suite_baseline>();
        c->baseline = &cb_baselines[i];
        c->tasks = o.tasks;
        c->params.io_ms = o.io_ms;
        cb_suite_baseline_name(c.get());
        register_benchmark(c->name, cb_suite_baseline_bench, c.get());
        cases.baselines.push_back(std::move(c));
    }
    return cases;
}

} // namespace

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    std::vector<std::string> gb;
    Options o = parse_args(argc, argv, gb);
    if (std::string bad = cb::check_gbench_flags(gb); !bad.empty())
        usage_error(bad);
    int tuned = cb_kernels_init();
    if (tuned < 0) {
        std::fprintf(stderr, "concbench: cannot tune the allocator\n");
        return 1;
    }

    // Defaults first, so that the user's own --benchmark_ flags override
    // them: Google Benchmark's last occurrence of a flag wins.
    std::vector<std::string> args{argv[0]};
    args.push_back(cb::gbench_min_time_flag(o.quick ? "0.01" : "0.2"));
    std::string out_path = redirect_output(gb);
    args.insert(args.end(), gb.begin(), gb.end());
    std::vector<char *> cargv;
    for (std::string &a : args)
        cargv.push_back(a.data());
    int cargc = (int)cargv.size();
    cargv.push_back(nullptr);

    cb_gbench_initialize(&cargc, cargv.data());
    if (cb_gbench_report_unrecognized(cargc, cargv.data())) {
        if (tmp_path[0])
            unlink(tmp_path);
        return kUsageError;
    }
    add_context(o);
    auto cases = register_cases(o);
    if (tuned > 0)
        std::fprintf(stderr, "concbench: a sanitizer's allocator: glibc's is "
                             "not tuned, timings are not comparable\n");
    std::fprintf(stderr, "concbench: %zu benchmarks, %u tasks each%s\n",
                 cases.size(), o.tasks,
                 out_path.empty() ? "" : (", JSON to " + out_path).c_str());

    cb_gbench_run_specified();
    cb_gbench_shutdown();

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
    if (!out_path.empty()) {
        if (std::rename(tmp_path, out_path.c_str()) != 0) {
            std::fprintf(stderr, "concbench: %s: %s\n", out_path.c_str(),
                         std::strerror(errno));
            unlink(tmp_path);
            return 1;
        }
        std::fprintf(stderr, "concbench: wrote %s\n", out_path.c_str());
    }
    return status;
}
