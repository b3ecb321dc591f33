#include "host/target_objects.h"

#include <dlfcn.h>

#include <cstddef>

namespace handoff {

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsRuntime(const LoadedObject& object) {
  if (object.path.empty()) return true;  // the program: the harness itself
  static const char* const kPrefixes[] = {
      "libruby", "libc.so", "libc-", "ld-linux", "linux-vdso", "libtsan", "libasan", "libubsan",
      "liblsan", "libclang_rt", "libstdc++", "libgcc_s", "libm.so", "libpthread", "libdl.so",
      "librt.so"};
  std::string name = BaseName(object.path);
  for (const char* prefix : kPrefixes) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool IsLibruby(const LoadedObject& object) {
  return BaseName(object.path).rfind("libruby", 0) == 0;
}

bool IsCxxRuntime(const LoadedObject& object) {
  return BaseName(object.path).rfind("libstdc++", 0) == 0;
}

std::set<ElfW(Addr)> TargetObjects(const std::vector<LoadedObject>& objects, ElfW(Addr) target_base) {
  std::set<ElfW(Addr)> found;
  std::vector<const LoadedObject*> todo;
  for (const LoadedObject& o : objects) {
    if (o.base == target_base) todo.push_back(&o);
  }
  while (!todo.empty()) {
    const LoadedObject* object = todo.back();
    todo.pop_back();
    if (!found.insert(object->base).second) continue;
    for (const std::string& needed : NeededLibraries(*object)) {
      for (const LoadedObject& o : objects) {
        if (!IsRuntime(o) && BaseName(o.path) == needed && !found.count(o.base)) todo.push_back(&o);
      }
    }
  }
  return found;
}

ElfW(Addr) ObjectBaseOf(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0) return 0;
  // dli_fbase is the first mapped byte, dlpi_addr the load bias: the same
  // for a shared object linked at 0, as every one here is.
  return reinterpret_cast<ElfW(Addr)>(info.dli_fbase);
}

unsigned long long LoadCount() {
  unsigned long long adds = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t size, void* data) -> int {
        if (size >= offsetof(dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds)) {
          *static_cast<unsigned long long*>(data) = info->dlpi_adds;
        }
        return 1;
      },
      &adds);
  return adds;
}

}  // namespace handoff
