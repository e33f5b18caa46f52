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
//
// An earlier file at the path is not replaced by one of another kind: one
// that is read-only (no write permission in its mode, or none for this
// user) is refused before the run, as is one whose owner this user could
// not give the new file; the new file gets the earlier one's mode, owner
// and group. And a run does not replace what another program wrote there
// while it ran: the path's file is noted when the run starts
// (output_writable), and at the end, under an exclusive flock of the
// folder (two concbench runs ending at once take turns), the new file
// goes to the path only if what is there is still that file, or there is
// still none (a link, which cannot replace); else it goes beside it,
// PATH's name with .PID before its extension, and the run says so and
// fails. Another program that does not take the lock can still slip a
// write in between the check and the rename.
#include "output.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cb {
namespace {

// The temporary name in use, relative to partial_dir, for
// remove_partial_output; have_partial says whether it exists.
char partial[64];
int partial_dir = -1;
volatile sig_atomic_t have_partial;

// The file at the output path when the run started (output_writable).
struct Earlier {
    std::string path;
    bool noted = false, exists = false;
    struct stat st;
} earlier;

bool same_file(const struct stat &a, const struct stat &b)
{
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
           a.st_size == b.st_size && a.st_mode == b.st_mode &&
           a.st_uid == b.st_uid && a.st_gid == b.st_gid &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
           a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Whether this user can give a new file st's owner and group.
bool can_keep_owner(const struct stat &st)
{
    if (geteuid() == 0)
        return true;
    if (st.st_uid != geteuid())
        return false;
    if (st.st_gid == getegid())
        return true;
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == st.st_gid)
            return true;
    return false;
}

// base with .PID before its extension: out.json -> out.4321.json.
std::string beside(const std::string &base)
{
    size_t dot = base.rfind('.');
    std::string pid = "." + std::to_string(getpid());
    if (dot == std::string::npos || dot == 0)
        return base + pid;
    return base.substr(0, dot) + pid + base.substr(dot);
}

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

// The temporary name as name, where nothing is: renameat2's no-replace,
// or where the file system has none a link, which cannot replace either.
int name_new(int dfd, const std::string &name)
{
    if (renameat2(dfd, partial, dfd, name.c_str(), RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(dfd, partial, dfd, name.c_str(), 0) != 0)
        return -1;
    unlinkat(dfd, partial, 0);
    return 0;
}

// The complete file, under its temporary name, into place: over what was
// at path when the run started (or where nothing was), or beside it if
// another program has written path since.
bool place(const std::string &path, int dfd, const std::string &base,
           std::string *why)
{
    if (!earlier.noted || earlier.path != path) {
        if (renameat(dfd, partial, dfd, base.c_str()) != 0)
            return fail(why, "renaming it into place");
        have_partial = 0;
        return true;
    }
    while (flock(dfd, LOCK_EX) != 0)
        if (errno != EINTR)
            return fail(why, "locking its folder");
    struct stat now;
    bool there = fstatat(dfd, base.c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0;
    bool same = earlier.exists ? there && same_file(earlier.st, now) : !there;
    if (same && earlier.exists) {
        if (renameat(dfd, partial, dfd, base.c_str()) != 0)
            return fail(why, "renaming it into place");
        have_partial = 0;
        return true;
    }
    if (same && name_new(dfd, base) == 0) {
        have_partial = 0;
        return true;
    }
    if (same && errno != EEXIST)
        return fail(why, "naming it");
    std::string alt = beside(base);
    if (name_new(dfd, alt) != 0)
        return fail(why, "written by another program while this run ran; "
                         "naming this run's result " + alt);
    have_partial = 0;
    *why = "written by another program while this run ran: this run's "
           "result is in " + path.substr(0, path.size() - base.size()) + alt;
    return false;
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
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", (unsigned)st.st_mode & 07777);
        if (!(st.st_mode & 0222) || access(path.c_str(), W_OK) != 0) {
            *why = std::string("is read-only (mode ") + mode +
                   "): concbench does not replace it";
            return false;
        }
        if (!can_keep_owner(st)) {
            *why = "belongs to another user or group (" +
                   std::to_string(st.st_uid) + ":" +
                   std::to_string(st.st_gid) +
                   "), which the new file could not keep";
            return false;
        }
        earlier = {path, true, true, st};
    } else if (errno != ENOENT && errno != ENOTDIR) {
        return fail(why, "cannot read it");
    } else {
        earlier = {path, true, false, {}};
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
    // What the earlier file had (output_writable made sure it can).
    const bool was = earlier.noted && earlier.path == path && earlier.exists;
    const struct stat &st = earlier.st;
    if (ok && was && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchown(fd, st.st_uid, st.st_gid) != 0)
        ok = fail(why, "giving it the earlier file's owner");
    if (ok && was && fchmod(fd, st.st_mode & 07777) != 0)
        ok = fail(why, "giving it the earlier file's mode");
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
    if (ok)
        ok = place(path, dfd, base, why);
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
