#include "handoff/run.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstddef>
#include <cstring>

#include "host/elf_imports.h"

namespace handoff {
namespace {

constexpr char kPrefix[] = "libhandoff_target_";
constexpr char kSuffix[] = ".so";

// What a failed dlopen means for a target library, with the fix.
std::string LoadError(const std::string& path, const std::string& why) {
  if (why.find("undefined symbol: __tsan_") != std::string::npos) {
    return path + " is built with -fsanitize=thread, but this harness is not a ThreadSanitizer "
                  "build (" + why + "): run it with the tsan build's handoff-stress, or build it "
                  "without -fsanitize=thread";
  }
  if (why.find("libtsan") != std::string::npos && why.find("static TLS") != std::string::npos) {
    return path + " is built with gcc's -fsanitize=thread (it needs gcc's TSan runtime, "
                  "libtsan.so.2, loaded with the program), but this harness " +
           (BuiltWithThreadSanitizer() ? "carries clang's" : "is not a ThreadSanitizer build") +
           " (" + why + "): run it with the tsan-gcc build's handoff-stress" +
           (BuiltWithThreadSanitizer() ? ", or build it with clang" : "");
  }
  return "cannot load target library: " + why;
}

// Whether the object holding `address` imports any __tsan_* function.
bool ImportsThreadSanitizer(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0) return false;
  bool found = false;
  for (const LoadedObject& object : LoadedObjects()) {
    if (object.base != reinterpret_cast<ElfW(Addr)>(info.dli_fbase)) continue;
    ForEachImport(object, [&](const ImportSlot& import) {
      found = found || std::strncmp(import.name, "__tsan_", 7) == 0;
    });
  }
  return found;
}

}  // namespace

std::string SanitizerWarning(const LoadedTarget& loaded) {
  if (!BuiltWithThreadSanitizer() || loaded.instrumented_by_tsan) return "";
  return "warning: " + loaded.path + " is not built with -fsanitize=thread: ThreadSanitizer sees "
         "none of its code, so no data race in it can be reported (build it with "
         "-fsanitize=thread, and -DHANDOFF_SYNC_POINTS for --perturb)";
}

// The target's description in this harness's layout: a target built for an
// older ABI has a shorter struct (each version appends fields), copied into
// a zeroed full one, so what it lacks reads as NULL/0 (never freed: the
// library stays loaded too).
static const handoff_target* UpToDate(const handoff_target* target) {
  if (target->abi_version == HANDOFF_TARGET_ABI_VERSION) return target;
  auto* full = new handoff_target();
  std::memcpy(full, target, offsetof(handoff_target, post));  // version 1's fields
  full->abi_version = HANDOFF_TARGET_ABI_VERSION;
  full->flags &= ~HANDOFF_TARGET_HAS_POSTS;
  return full;
}

bool LoadTargetLibrary(const std::string& path, LoadedTarget* loaded, std::string* error) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    *error = "target library " + path + " does not exist";
    return false;
  }
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    *error = LoadError(path, dlerror());
    return false;
  }
  auto entry = reinterpret_cast<handoff_target_entry_fn>(
      dlsym(library, HANDOFF_TARGET_ENTRY_SYMBOL));
  if (entry == nullptr) {
    *error = path + " is not a handoff target: it does not export " +
             HANDOFF_TARGET_ENTRY_SYMBOL + " (see harness/include/handoff/target.h)";
    return false;
  }
  const handoff_target* target = entry();
  if (target == nullptr) {
    *error = path + ": " + HANDOFF_TARGET_ENTRY_SYMBOL + "() returned NULL";
    return false;
  }
  if (target->abi_version < HANDOFF_TARGET_ABI_OLDEST ||
      target->abi_version > HANDOFF_TARGET_ABI_VERSION) {
    *error = path + " was built for target ABI version " + std::to_string(target->abi_version) +
             ", this harness speaks versions " + std::to_string(HANDOFF_TARGET_ABI_OLDEST) + " to " +
             std::to_string(HANDOFF_TARGET_ABI_VERSION) +
             ": rebuild it against this harness's handoff/target.h";
    return false;
  }
  if (target->name == nullptr || target->start == nullptr || target->invoke == nullptr ||
      target->stop == nullptr) {
    *error = path + ": name, start, invoke and stop are required in handoff_target";
    return false;
  }
  loaded->target = UpToDate(target);
  loaded->path = path;
  loaded->mutant = static_cast<const handoff_mutant*>(dlsym(library, HANDOFF_MUTANT_SYMBOL));
  loaded->instrumented_by_tsan = ImportsThreadSanitizer(reinterpret_cast<const void*>(entry));
  return true;  // the library stays loaded for the life of the process
}

std::string AbsolutePath(const std::string& path) {
  char* absolute = realpath(path.c_str(), nullptr);
  std::string result = absolute != nullptr ? absolute : path;
  std::free(absolute);
  return result;
}

std::string ExecutablePath() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "handoff-stress";
}

std::string BuiltinTargetDir() {
  const char* dir = std::getenv("HANDOFF_TARGET_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  std::string exe = ExecutablePath();
  size_t slash = exe.rfind('/');
  return (slash == std::string::npos ? std::string(".") : exe.substr(0, slash)) + "/targets";
}

std::string BuiltinTargetPath(const std::string& name) {
  return BuiltinTargetDir() + "/" + kPrefix + name + kSuffix;
}

std::vector<std::string> BuiltinTargetNames() {
  std::vector<std::string> names;
  DIR* dir = opendir(BuiltinTargetDir().c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = readdir(dir)) {
    std::string file = entry->d_name;
    size_t prefix = sizeof(kPrefix) - 1, suffix = sizeof(kSuffix) - 1;
    if (file.size() > prefix + suffix && file.compare(0, prefix, kPrefix) == 0 &&
        file.compare(file.size() - suffix, suffix, kSuffix) == 0) {
      names.push_back(file.substr(prefix, file.size() - prefix - suffix));
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace handoff
