// Writing the result file so that nothing but the complete JSON can ever
// appear at its path or beside it.
#ifndef CB_OUTPUT_H
#define CB_OUTPUT_H

#include <string>

namespace cb {

// Whether path can be written later: its folder exists and is writable,
// path is not a folder, its last part is a file name the system allows,
// and a file already there is writable (not read-only: no w in its mode,
// or none for this user) and has an owner and group this user can give a
// new file. Notes the file there (or that there is none) for write_whole.
// On false, why says what is wrong.
bool output_writable(const std::string &path, std::string *why);

// Write text to path whole, or not at all: into an unnamed file in path's
// folder (O_TMPFILE; where the file system has none, a temporary name,
// removed at every exit this process sees), with the mode, owner and group
// of the file there before, every write and the close checked, fsync'ed,
// then linked into place by a rename. If the path's file is no longer the
// one output_writable noted (another program wrote it meanwhile), the
// file goes beside it instead (out.json: out.PID.json) and why says so.
// On false, why says what failed, and whatever was at path is as it was.
bool write_whole(const std::string &path, const std::string &text,
                 std::string *why);

// Remove the temporary name write_whole may have made, if any; for the
// driver's signal handlers (async-signal-safe).
void remove_partial_output();

} // namespace cb

#endif
