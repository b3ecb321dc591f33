// Finds and loads targets: shared libraries that export handoff_target_entry
// (harness/include/handoff/target.h). Built-in targets live next to the
// handoff-stress executable, in targets/libhandoff_target_<name>.so;
// HANDOFF_TARGET_DIR overrides that folder.
#pragma once

#include <string>
#include <vector>

#include "handoff/mutant.h"
#include "handoff/target.h"

namespace handoff {

struct LoadedTarget {
  const handoff_target* target = nullptr;
  std::string path;
  // The library's handoff_mutant_declaration (handoff/mutant.h), or nullptr:
  // not a mutant.
  const handoff_mutant* mutant = nullptr;
  // Whether the library imports ThreadSanitizer's hooks (__tsan_*): built
  // with -fsanitize=thread, so a TSan harness sees its memory accesses.
  bool instrumented_by_tsan = false;
};

// Loads `path` and checks its ABI version. False with a one-line *error that
// says what to do (missing file, not a target, built for another ABI, built
// for a sanitizer this harness is not: a ThreadSanitizer library under a
// release harness, gcc's TSan runtime under clang's).
bool LoadTargetLibrary(const std::string& path, LoadedTarget* loaded, std::string* error);

// For a user's library under a ThreadSanitizer harness: a warning when
// TSan sees none of its code (built without -fsanitize=thread); else "".
std::string SanitizerWarning(const LoadedTarget& loaded);

// `path` made absolute (realpath), or `path` itself when it cannot be.
std::string AbsolutePath(const std::string& path);

// The running executable's absolute path (what a replay line should call).
std::string ExecutablePath();

// The folder of built-in targets, and the library of the one called `name`.
std::string BuiltinTargetDir();
std::string BuiltinTargetPath(const std::string& name);
// Names of the built-in targets found there, sorted.
std::vector<std::string> BuiltinTargetNames();

}  // namespace handoff
