// concbench's command line (cli.h).
#include "cli.h"

#include "describe.h"
#include "parse.h"
#include "verdict_rules.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unistd.h>

namespace cb {
namespace {

void usage_error_at(const std::string &flag, const std::string &msg)
{
    usage_error(flag + ": " + msg);
}

// The items of a comma-separated value, none empty, none twice.
std::vector<std::string> split(const std::string &flag, const std::string &s)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma - start);
        if (item.empty())
            usage_error_at(flag, "empty item in '" + s + "'");
        if (std::find(out.begin(), out.end(), item) != out.end())
            usage_error_at(flag, "'" + item + "' given twice");
        out.push_back(item);
        if (comma == std::string::npos)
            return out;
        start = comma + 1;
    }
}

// A value already in values (1024 after 1K, 2 after 02) would make a
// second benchmark of the same name.
template <typename T, typename Eq = std::equal_to<T>>
void add_once(const std::string &flag, std::vector<T> &values, T v,
              const std::string &item, Eq eq = Eq())
{
    for (const T &seen : values)
        if (eq(seen, v))
            usage_error_at(flag, "'" + item + "' given twice");
    values.push_back(v);
}

unsigned parse_number(const std::string &flag, const std::string &s,
                      unsigned min, unsigned max)
{
    unsigned v;
    int rc = cb_parse_uint(s.c_str(), min, max, &v);
    if (rc == -EINVAL)
        usage_error_at(flag, "'" + s + "' is not a whole number");
    if (rc == -ERANGE)
        usage_error_at(flag, s + " is out of range (" + std::to_string(min) +
                                 " to " + std::to_string(max) + ")");
    return v;
}

// A decimal number, all of text, or nan.
double parse_real(const std::string &text)
{
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    return text.empty() || *end || errno ? std::nan("") : v;
}

// bytes as names show a size: 16G.
std::string size_text(uint64_t bytes)
{
    char text[32];
    cb_format_size(bytes, text, sizeof text);
    return text;
}

std::string range(unsigned min, unsigned max)
{
    return std::to_string(min) + " to " + std::to_string(max);
}

// text wrapped at 78 columns, every line indented by 20 but the first,
// which continues head, or follows it when head is too long for the
// column.
std::string wrap(std::string head, const std::string &text)
{
    std::string out, line = head;
    if (line.size() >= 20) {
        out = line + "\n";
        line.clear();
    }
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

// Every distinct option of the modes, in the order the modes declare
// them, at its default.
std::vector<ModeOption> mode_options()
{
    std::vector<ModeOption> out;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const cb_mode *mode = cb_modes[m];
        for (size_t i = 0; mode->options && mode->options[i]; i++) {
            const cb_option *o = mode->options[i];
            if (std::any_of(out.begin(), out.end(),
                            [o](const ModeOption &mo) { return mo.option == o; }))
                continue;
            char flag[64], text[16];
            cb_option_flag(o, flag, sizeof flag);
            cb_option_value def = cb_option_default(o);
            cb_option_format(o, &def, text, sizeof text);
            out.push_back({o, flag, {def}, text});
        }
    }
    return out;
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
        std::string values =
            o->choices ? std::string("default: ") + o->choices[o->def]
                       : range(o->min, o->max) +
                             ", default: " + std::to_string(o->def);
        out += wrap("  " + mo.flag + "=" + o->metavar + ",...",
                    std::string(o->help) + " (" + modes + "; " + values +
                        ")");
    }
    return out;
}

void parse_mode_option(ModeOption &mo, const std::string &value)
{
    const cb_option *opt = mo.option;
    mo.values.clear();
    for (const std::string &item : split(mo.flag, value)) {
        cb_option_value v;
        int rc = cb_option_parse(opt, item.c_str(), &v);
        if (rc == -EINVAL)
            usage_error_at(mo.flag,
                           "'" + item + "' is " +
                               (opt->choices ? "not one of " +
                                                   std::string(opt->metavar)
                                : opt->resolve_auto
                                    ? "neither a whole number nor auto"
                                    : "not a whole number"));
        if (rc == -ERANGE)
            usage_error_at(mo.flag, item + " is out of range (" +
                                        range(opt->min, opt->max) + ")");
        add_once(mo.flag, mo.values, v, item,
                 [](const cb_option_value &a, const cb_option_value &b) {
                     return a.is_auto == b.is_auto &&
                            (a.is_auto || a.value == b.value);
                 });
    }
    mo.text = value;
}

// One of concbench's fixed flags: its name, its value's metavar (nullptr:
// it takes none), its line of --help and what it does.
struct Flag {
    const char *name;
    const char *metavar;
    std::string help;
    std::function<void(Options &, const std::string &flag,
                       const std::string &value)>
        set;
};

void print_help();

const std::vector<Flag> &flags()
{
    using S = const std::string &;
    static const std::vector<Flag> table = {
        {"--kernels", "K,...",
         "kernels to run (default: all but those --list marks \"only with "
         "--kernels\")",
         [](Options &o, S flag, S value) {
             o.kernels.clear();
             for (const std::string &k : split(flag, value)) {
                 const cb_kernel *kernel = cb_kernel_by_name(k.c_str());
                 if (!kernel)
                     usage_error_at(flag, "unknown kernel '" + k + "'");
                 o.kernels.push_back(kernel);
             }
             o.kernels_set = true;
         }},
        {"--kernel-lib", "PATH",
         "load a library of kernels of your own (the interface: "
         "concbench_kernel.h); may be given more than once",
         [](Options &, S, S) {}}, // loaded already, by load_kernel_libs
        {"--modes", "M,...",
         "modes to run (default: all but those --list marks \"only with "
         "--modes\")",
         [](Options &o, S flag, S value) {
             o.modes.clear();
             for (const std::string &m : split(flag, value)) {
                 const cb_mode *mode = cb_mode_find(m.c_str());
                 if (!mode)
                     usage_error_at(flag, "unknown mode '" + m + "'");
                 o.modes.push_back(mode);
             }
             o.modes_set = true;
         }},
        {"--workers", "W,...",
         "worker counts, " + range(1, CB_MAX_WORKERS) + " (default: " +
             CB_DEFAULT_WORKERS + "; serial always runs with 1)",
         [](Options &o, S flag, S value) {
             o.workers.clear();
             for (const std::string &w : split(flag, value))
                 add_once(flag, o.workers,
                          parse_number(flag, w, 1, CB_MAX_WORKERS), w);
             o.workers_set = true;
         }},
        {"--tasks", "T",
         "tasks per batch, " + range(1, CB_MAX_TASKS) +
             " (default: " + std::to_string(CB_DEFAULT_TASKS) + ")",
         [](Options &o, S flag, S value) {
             o.tasks = parse_number(flag, value, 1, CB_MAX_TASKS);
             o.tasks_set = true;
         }},
        {"--io-ms", "N",
         "io_sleep task length in ms, " + range(1, CB_MAX_IO_MS) +
             " (default: " + std::to_string(CB_DEFAULT_IO_MS) + ")",
         [](Options &o, S flag, S value) {
             o.io_ms = parse_number(flag, value, 1, CB_MAX_IO_MS);
             o.io_ms_set = true;
         }},
        {"--timeout", "S",
         "a batch still running after S seconds fails, " +
             range(1, CB_MAX_TIMEOUT_S) + " (default: " +
             std::to_string(CB_DEFAULT_TIMEOUT_S) + ")",
         [](Options &o, S flag, S value) {
             o.timeout_s = parse_number(flag, value, 1, CB_MAX_TIMEOUT_S);
         }},
        {"--payload", "B,...",
         "each task gets an input of B bytes and answers with an output of "
         "B bytes (4K, 1M, 16M: binary units; 0 to 256M; default: 0, none; "
         "named /payload:B when not 0)",
         [](Options &o, S flag, S value) {
             o.payloads.clear();
             for (const std::string &item : split(flag, value)) {
                 uint64_t bytes;
                 int rc = cb_payload_parse(item.c_str(), &bytes);
                 if (rc == -EINVAL)
                     usage_error_at(flag, "'" + item + "' is not a size "
                                    "(like 4096, 4K, 1M, 16M)");
                 if (rc == -ERANGE)
                     usage_error_at(flag, item + " is out of range (0 to "
                                    "256M)");
                 add_once(flag, o.payloads, bytes, item);
             }
             o.payload_text = value;
         }},
        {"--parent-rss", "S,...",
         "the process that measures a repetition holds S bytes of touched, "
         "private memory from before its workers start to its end, so that "
         "the modes that fork (process, process_pool) pay what they would "
         "from a parent of that size (100M, 1G: binary units; 0 to " +
             size_text(CB_MAX_PARENT_RSS) +
             "; default: 0, none; named /parent_rss:S when not 0)",
         [](Options &o, S flag, S value) {
             o.parent_rss.clear();
             for (const std::string &item : split(flag, value)) {
                 uint64_t bytes;
                 int rc = cb_parse_size(item.c_str(), CB_MAX_PARENT_RSS,
                                        &bytes);
                 if (rc == -EINVAL)
                     usage_error_at(flag, "'" + item + "' is not a size "
                                    "(like 0, 100M, 1G)");
                 if (rc == -ERANGE)
                     usage_error_at(flag, item + " is out of range (0 to " +
                                    size_text(CB_MAX_PARENT_RSS) + ")");
                 add_once(flag, o.parent_rss, bytes, item);
             }
             o.parent_rss_text = value;
         }},
        {"--order", "rounds|sequential",
         "rounds (the default): round k runs every benchmark once, kernel "
         "by kernel in a random order, for k = 1 to "
         "--benchmark_repetitions; sequential: each benchmark's "
         "repetitions back to back, in order",
         [](Options &o, S flag, S value) {
             if (value != "rounds" && value != "sequential")
                 usage_error_at(flag, "'" + value +
                                "' is neither rounds nor sequential");
             o.order = value == "rounds" ? Order::Rounds : Order::Sequential;
             o.order_set = true;
         }},
        {"--rounds", "fixed|auto[:S]",
         "fixed (the default): --benchmark_repetitions rounds; auto: then "
         "extra rounds of the comparisons still undecided (by "
         "scripts/compare's verdict: docs/verdicts.md), while the run stays "
         "within S seconds from its start (default: " +
             std::to_string(CB_DEFAULT_BUDGET_S) + ")",
         [](Options &o, S flag, S value) {
             if (value == "fixed") {
                 o.auto_budget_s = -1;
             } else if (value == "auto") {
                 o.auto_budget_s = CB_DEFAULT_BUDGET_S;
             } else if (value.rfind("auto:", 0) == 0) {
                 double budget = parse_real(value.substr(5));
                 if (!(budget >= 0 && budget <= CB_MAX_BUDGET_S))
                     usage_error_at(flag, "'" + value.substr(5) + "' is not "
                                    "a time budget in seconds, 0 to " +
                                    std::to_string(CB_MAX_BUDGET_S));
                 o.auto_budget_s = budget;
             } else {
                 usage_error_at(flag, "'" + value + "' is neither fixed nor "
                                "auto[:SECONDS]");
             }
         }},
        {"--margin", "M",
         "a difference smaller than M is a tie, for --rounds=auto's "
         "decisions (0.02 or 2%; above 0, at most " +
             std::to_string((int)(kMaxMargin * 100)) + "%; default: " +
             std::to_string((int)(kMargin * 100 + 0.5)) + "%)",
         [](Options &o, S flag, S value) {
             std::string n = value;
             bool percent = !n.empty() && n.back() == '%';
             if (percent)
                 n.pop_back();
             double m = parse_real(n) / (percent ? 100 : 1);
             if (!(m > 0 && m <= kMaxMargin))
                 usage_error_at(flag, "'" + value + "' is not a margin "
                                "above 0 and at most 50% (0.02 or 2%)");
             o.margin = m;
         }},
        {"--batches", "N",
         "a kernel whose tasks need a CPU and whose serial run reaches "
         "the minimum time within N batches runs exactly N batches a "
         "repetition, every strategy alike, its time their fastest, which "
         "a slow spell of the machine moves less than their mean; " +
             range(1, CB_MAX_BATCHES) + ", 1: the minimum time decides "
             "(default: " + std::to_string(CB_DEFAULT_BATCHES) + ")",
         [](Options &o, S flag, S value) {
             o.batches = parse_number(flag, value, 1, CB_MAX_BATCHES);
         }},
        {"--baselines", nullptr,
         "also run the bare loops the modes are measured against "
         "(fork+_exit+waitpid, pthread_create+join, gmp_pow and logpow in "
         "a loop); the default unless --kernels or --modes is given",
         [](Options &o, S, S) { o.baselines = 1; }},
        {"--no-baselines", nullptr, "do not run them",
         [](Options &o, S, S) { o.baselines = 0; }},
        {"--quick", nullptr,
         "a fast profile: --tasks=4 --workers=1,2,4 --io-ms=20 and "
         "--benchmark_min_time=0.01; flags given win",
         [](Options &o, S, S) { o.quick = true; }},
        {"--list", nullptr, "list kernels and modes, then exit",
         [](Options &, S, S) {
             print_list();
             std::exit(0);
         }},
        {"--help", nullptr, "this text",
         [](Options &, S, S) {
             print_help();
             std::exit(0);
         }},
    };
    return table;
}

void print_help()
{
    std::string fixed;
    for (const Flag &f : flags()) {
        std::string head = std::string("  ") + f.name +
                           (f.metavar ? std::string("=") + f.metavar : "");
        // The mode options come after --margin, as the run's tuning.
        fixed += wrap(head, f.help);
        if (std::strcmp(f.name, "--margin") == 0)
            fixed += options_help();
    }
    std::printf(
        "usage: concbench [options] [--benchmark_...=...]\n"
        "\n"
        "Runs batches of T tasks of each kernel with each strategy (mode) at\n"
        "each worker count W (at most W tasks at once) and reports the batch\n"
        "wall time as Google Benchmark's manual time.\n"
        "\n"
        "%s"
        "\n"
        "Google Benchmark's own flags work too, for example\n"
        "--benchmark_repetitions=5 (rounds, or repetitions of each),\n"
        "--benchmark_filter=REGEX, --benchmark_min_time=SECONDS (default\n"
        "here: %s), --benchmark_out=FILE (JSON, written whole at the end or\n"
        "not at all).\n"
        "A mode's option takes one value or several, a benchmark each\n"
        "(--pool=kept,fresh).\n"
        "Exit status: 0, 1 if a benchmark failed, 2 for bad flags.\n",
        fixed.c_str(), CB_DEFAULT_MIN_TIME);
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
        else if (arg != "--kernel-lib")
            continue;
        if (path.empty())
            usage_error("--kernel-lib needs a value (--kernel-lib=...)");
        char why[256];
        if (cb_kernel_lib_load(path.c_str(), why, sizeof why) < 0)
            usage_error("--kernel-lib: " + path + ": " + why);
    }
}

// What the command line left unset: every kernel and mode not opt-in,
// the baselines when neither was chosen, --quick's profile.
void fill_defaults(Options &o)
{
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
}

} // namespace

[[noreturn]] void usage_error(const std::string &msg)
{
    std::fprintf(stderr, "concbench: %s (see --help)\n", msg.c_str());
    std::exit(kUsageError);
}

Options parse_args(int argc, char **argv, std::vector<std::string> &gb)
{
    Options o;
    o.margin = kMargin;
    o.mode_options = mode_options();
    for (const std::string &w : split("--workers", CB_DEFAULT_WORKERS))
        o.workers.push_back((unsigned)std::stoul(w));
    load_kernel_libs(argc, argv);
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        if (arg.rfind("--benchmark_", 0) == 0) {
            gb.push_back(arg);
            continue;
        }
        size_t eq = arg.find('=');
        std::string flag = arg.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        bool has_value = eq != std::string::npos;
        if (flag == "-h")
            flag = "--help";
        const Flag *f = nullptr;
        for (const Flag &candidate : flags())
            if (flag == candidate.name)
                f = &candidate;
        ModeOption *mo = nullptr;
        for (ModeOption &candidate : o.mode_options)
            if (flag == candidate.flag)
                mo = &candidate;
        if (!f && !mo)
            usage_error("unknown flag '" + arg + "'");
        bool takes_value = mo || f->metavar;
        if (!takes_value && has_value)
            usage_error(flag + " takes no value");
        // Both --flag=value and --flag value.
        if (takes_value && !has_value && i + 1 < argc) {
            value = argv[++i];
            has_value = true;
        }
        if (takes_value && (!has_value || value.empty()))
            usage_error(flag + " needs a value (" + flag + "=...)");
        if (mo)
            parse_mode_option(*mo, value);
        else
            f->set(o, flag, value);
    }
    fill_defaults(o);
    return o;
}

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

std::vector<std::vector<cb_option_value>>
option_combinations(const Options &o, const cb_mode *mode)
{
    std::vector<std::vector<cb_option_value>> out{{}};
    for (size_t i = 0; mode->options && mode->options[i]; i++) {
        const ModeOption *mo = nullptr;
        for (const ModeOption &candidate : o.mode_options)
            if (candidate.option == mode->options[i])
                mo = &candidate;
        std::vector<std::vector<cb_option_value>> next;
        for (const std::vector<cb_option_value> &head : out)
            for (const cb_option_value &v : mo->values) {
                next.push_back(head);
                next.back().push_back(v);
            }
        out = next;
    }
    return out;
}

} // namespace cb
