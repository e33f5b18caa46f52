// Writing the result file so that nothing but the complete JSON can ever
// appear at its path or beside it.
#ifndef CB_OUTPUT_H
#define CB_OUTPUT_H

#include <string>

namespace cb {

// Whether path can be written later: its folder exists and is writable,
// path is not a folder, and its last part is a file name the system
// allows. On false, why says what is wrong.
bool output_writable(const std::string &path, std::string *why);

// Write text to path whole, or not at all: into an unnamed file in path's
// folder (O_TMPFILE; where the file system has none, a temporary name,
// removed at every exit this process sees), every write and the close
// checked, fsync'ed, then linked into place by a rename. On false, why
// says what failed, and whatever was at path before is as it was.
bool write_whole(const std::string &path, const std::string &text,
                 std::string *why);

// Remove the temporary name write_whole may have made, if any; for the
// driver's signal handlers (async-signal-safe).
void remove_partial_output();

} // namespace cb

#endif
