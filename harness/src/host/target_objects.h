// Which loaded shared objects belong to the target, for the two layers that
// rewrite a target's imports (elf_imports.h): the GVL check (Ruby C API
// calls) and the controlled schedule's interposer (pthread operations).
#pragma once

#include <link.h>

#include <set>
#include <string>
#include <vector>

#include "host/elf_imports.h"

namespace handoff {

// The file name of `path` ("/usr/lib/x/libruby.so.3.1" -> "libruby.so.3.1").
std::string BaseName(const std::string& path);

// The runtime under the target, never the target's own: the program (the
// harness itself), libruby, libc, the loader, the C++ runtime and the
// sanitizer runtimes.
bool IsRuntime(const LoadedObject& object);

// Whether `object` is the loaded libruby, or the C++ runtime (libstdc++).
bool IsLibruby(const LoadedObject& object);
bool IsCxxRuntime(const LoadedObject& object);

// The objects the target library brings with it: itself (the object loaded
// at `target_base`) and what it links (DT_NEEDED, transitively), runtimes
// left out.
std::set<ElfW(Addr)> TargetObjects(const std::vector<LoadedObject>& objects, ElfW(Addr) target_base);

// The load bias of the object that holds `address` (0 if none does).
ElfW(Addr) ObjectBaseOf(const void* address);

// dl_iterate_phdr's count of objects loaded so far (dlpi_adds): changes
// when one is loaded.
unsigned long long LoadCount();

}  // namespace handoff
