#include "handoff/target_loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace handoff {
namespace {

constexpr char kPrefix[] = "libhandoff_target_";
constexpr char kSuffix[] = ".so";

}  // namespace

bool LoadTargetLibrary(const std::string& path, LoadedTarget* loaded, std::string* error) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    *error = "target library " + path + " does not exist";
    return false;
  }
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    *error = std::string("cannot load target library: ") + dlerror();
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
  if (target->abi_version != HANDOFF_TARGET_ABI_VERSION) {
    *error = path + " was built for target ABI version " + std::to_string(target->abi_version) +
             ", this harness speaks version " + std::to_string(HANDOFF_TARGET_ABI_VERSION) +
             ": rebuild it against this harness's handoff/target.h";
    return false;
  }
  if (target->name == nullptr || target->start == nullptr || target->invoke == nullptr ||
      target->stop == nullptr) {
    *error = path + ": name, start, invoke and stop are required in handoff_target";
    return false;
  }
  loaded->target = target;
  loaded->path = path;
  loaded->mutant = static_cast<const handoff_mutant*>(dlsym(library, HANDOFF_MUTANT_SYMBOL));
  return true;  // the library stays loaded for the life of the process
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
