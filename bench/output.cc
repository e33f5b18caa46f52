// The result file, written whole or not at all (output.h).
//
// Nothing is written until the run is over: the JSON is kept in memory
// (a full suite's is about 1.5 MB) and written in one go at the end, so a
// run that is killed, crashes or is interrupted leaves nothing, and an
// earlier file at the path is untouched. The file is made unnamed in the
// target's folder with O_TMPFILE, so that even a SIGKILL while it is
// written leaves nothing; it gets a name only once it is complete and on
// disk, by a link to a temporary name and a rename over the path (link
// cannot replace a file), which is atomic. Where a file system has no
// O_TMPFILE, the file is written under a temporary name from the start.
#include "output.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cb {
namespace {

// The temporary name in use, relative to partial_dir, for
// remove_partial_output; have_partial says whether it exists.
char partial[64];
int partial_dir = -1;
volatile sig_atomic_t have_partial;

std::string folder_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool fail(std::string *why, const std::string &what)
{
    *why = what + ": " + std::strerror(errno);
    return false;
}

bool write_all(int fd, const std::string &text, std::string *why)
{
    size_t put = 0;
    while (put < text.size()) {
        ssize_t n = write(fd, text.data() + put, text.size() - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(why, "writing");
        put += (size_t)n;
    }
    return true;
}

} // namespace

bool output_writable(const std::string &path, std::string *why)
{
    struct stat st;
    if (path.empty() || path.back() == '/') {
        *why = "is a directory, not a file name";
        return false;
    }
    if (stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            *why = "is a directory";
            return false;
        }
        // A device or a pipe would be replaced by the file renamed over it.
        if (!S_ISREG(st.st_mode)) {
            *why = "is not a regular file";
            return false;
        }
    } else if (errno != ENOENT && errno != ENOTDIR) {
        return fail(why, "cannot read it");
    }
    std::string dir = folder_of(path);
    if (stat(dir.c_str(), &st) != 0)
        return fail(why, "its directory");
    if (!S_ISDIR(st.st_mode)) {
        *why = "its directory is not one";
        return false;
    }
    // The file is made in the same directory and renamed there.
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        return fail(why, "its directory");
    if (base_of(path).size() > NAME_MAX) {
        errno = ENAMETOOLONG;
        return fail(why, "its name");
    }
    return true;
}

bool write_whole(const std::string &path, const std::string &text,
                 std::string *why)
{
    // Every name below is relative to the folder, so that a path as long
    // as the system allows needs no longer temporary one.
    std::string dir = folder_of(path), base = base_of(path);
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail(why, "opening its folder");
    std::snprintf(partial, sizeof partial, ".concbench-%d.tmp",
                  (int)getpid());
    partial_dir = dfd;
    // Unnamed first; the file system may not have O_TMPFILE.
    int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    bool unnamed = fd >= 0, ok = true;
    if (!unnamed) {
        fd = openat(dfd, partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0644);
        if (fd < 0)
            ok = fail(why, "creating it");
        else
            have_partial = 1;
    }
    if (ok)
        ok = write_all(fd, text, why);
    if (ok && fsync(fd) != 0)
        ok = fail(why, "writing it to disk");
    if (ok && unnamed) {
        // Named only now that it is complete; then renamed over path.
        char proc[64];
        std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        have_partial = 1;
        if (linkat(AT_FDCWD, proc, dfd, partial, AT_SYMLINK_FOLLOW) != 0) {
            have_partial = 0;
            ok = fail(why, "naming it");
        }
    }
    if (fd >= 0 && close(fd) != 0 && ok)
        ok = fail(why, "closing it");
    if (ok && renameat(dfd, partial, dfd, base.c_str()) != 0)
        ok = fail(why, "renaming it into place");
    if (!ok && have_partial)
        unlinkat(dfd, partial, 0);
    have_partial = 0;
    if (ok)
        fsync(dfd); // the rename itself on disk too
    partial_dir = -1;
    close(dfd);
    return ok;
}

void remove_partial_output()
{
    if (have_partial && partial_dir >= 0)
        unlinkat(partial_dir, partial, 0);
}

} // namespace cb
