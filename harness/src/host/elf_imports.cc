#include "host/elf_imports.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace handoff {
namespace {

// glibc rewrites most d_ptr entries of a writable dynamic section to
// absolute addresses when it loads the object; a read-only one keeps the
// link-time offsets. An offset is below the load bias, an address is not.
ElfW(Addr) Absolute(const LoadedObject& object, ElfW(Addr) value) {
  return value < object.base ? value + object.base : value;
}

struct DynamicInfo {
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Rela)* jmprel = nullptr;
  size_t jmprel_size = 0;
  const ElfW(Rela)* rela = nullptr;
  size_t rela_size = 0;
  bool plt_is_rela = true;
};

bool ReadDynamic(const LoadedObject& object, DynamicInfo* info) {
  const ElfW(Dyn)* dynamic = nullptr;
  for (ElfW(Half) i = 0; i < object.phnum; ++i) {
    if (object.phdr[i].p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(object.base + object.phdr[i].p_vaddr);
    }
  }
  if (dynamic == nullptr) return false;
  for (const ElfW(Dyn)* d = dynamic; d->d_tag != DT_NULL; ++d) {
    switch (d->d_tag) {
      case DT_SYMTAB:
        info->symtab = reinterpret_cast<const ElfW(Sym)*>(Absolute(object, d->d_un.d_ptr));
        break;
      case DT_STRTAB:
        info->strtab = reinterpret_cast<const char*>(Absolute(object, d->d_un.d_ptr));
        break;
      case DT_JMPREL:
        info->jmprel = reinterpret_cast<const ElfW(Rela)*>(Absolute(object, d->d_un.d_ptr));
        break;
      case DT_PLTRELSZ:
        info->jmprel_size = d->d_un.d_val;
        break;
      case DT_PLTREL:
        info->plt_is_rela = d->d_un.d_val == DT_RELA;
        break;
      case DT_RELA:
        info->rela = reinterpret_cast<const ElfW(Rela)*>(Absolute(object, d->d_un.d_ptr));
        break;
      case DT_RELASZ:
        info->rela_size = d->d_un.d_val;
        break;
      default:
        break;
    }
  }
  return info->symtab != nullptr && info->strtab != nullptr && info->plt_is_rela;
}

void VisitRelocations(const LoadedObject& object, const DynamicInfo& info, const ElfW(Rela)* table,
                      size_t bytes, const std::function<void(const ImportSlot&)>& visit) {
  if (table == nullptr) return;
  for (size_t i = 0; i < bytes / sizeof(ElfW(Rela)); ++i) {
    const ElfW(Rela)& r = table[i];
    unsigned type = ELF64_R_TYPE(r.r_info);
    if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
    const ElfW(Sym)& symbol = info.symtab[ELF64_R_SYM(r.r_info)];
    if (symbol.st_shndx != SHN_UNDEF || symbol.st_name == 0) continue;
    visit({info.strtab + symbol.st_name, reinterpret_cast<void**>(object.base + r.r_offset),
           type == R_X86_64_JUMP_SLOT});
  }
}

int ProtectionOf(const LoadedObject& object, ElfW(Addr) address) {
  for (ElfW(Half) i = 0; i < object.phnum; ++i) {
    const ElfW(Phdr)& p = object.phdr[i];
    ElfW(Addr) start = object.base + p.p_vaddr;
    if (p.p_type == PT_GNU_RELRO && address >= start && address < start + p.p_memsz) {
      return PROT_READ;  // made read-only after relocation
    }
  }
  for (ElfW(Half) i = 0; i < object.phnum; ++i) {
    const ElfW(Phdr)& p = object.phdr[i];
    ElfW(Addr) start = object.base + p.p_vaddr;
    if (p.p_type == PT_LOAD && address >= start && address < start + p.p_memsz) {
      return ((p.p_flags & PF_R) ? PROT_READ : 0) | ((p.p_flags & PF_W) ? PROT_WRITE : 0) |
             ((p.p_flags & PF_X) ? PROT_EXEC : 0);
    }
  }
  return PROT_READ;
}

}  // namespace

std::vector<LoadedObject> LoadedObjects() {
  std::vector<LoadedObject> objects;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* out = static_cast<std::vector<LoadedObject>*>(data);
        out->push_back({info->dlpi_addr, info->dlpi_name ? info->dlpi_name : "", info->dlpi_phdr,
                        info->dlpi_phnum});
        return 0;
      },
      &objects);
  return objects;
}

void ForEachImport(const LoadedObject& object, const std::function<void(const ImportSlot&)>& visit) {
  DynamicInfo info;
  if (!ReadDynamic(object, &info)) return;
  VisitRelocations(object, info, info.jmprel, info.jmprel_size, visit);
  VisitRelocations(object, info, info.rela, info.rela_size, visit);
}

std::vector<std::string> NeededLibraries(const LoadedObject& object) {
  std::vector<std::string> names;
  DynamicInfo info;
  if (!ReadDynamic(object, &info)) return names;
  for (ElfW(Half) i = 0; i < object.phnum; ++i) {
    if (object.phdr[i].p_type != PT_DYNAMIC) continue;
    const auto* d = reinterpret_cast<const ElfW(Dyn)*>(object.base + object.phdr[i].p_vaddr);
    for (; d->d_tag != DT_NULL; ++d) {
      if (d->d_tag == DT_NEEDED) names.emplace_back(info.strtab + d->d_un.d_val);
    }
  }
  return names;
}

bool WriteSlot(const LoadedObject& object, void** slot, void* value, std::string* error) {
  auto address = reinterpret_cast<ElfW(Addr)>(slot);
  int protection = ProtectionOf(object, address);
  long page_size = sysconf(_SC_PAGESIZE);
  void* page = reinterpret_cast<void*>(address & ~static_cast<ElfW(Addr)>(page_size - 1));
  bool writable = (protection & PROT_WRITE) != 0;
  if (!writable && mprotect(page, static_cast<size_t>(page_size), protection | PROT_WRITE) != 0) {
    *error = object.path + ": mprotect: " + std::strerror(errno);
    return false;
  }
  __atomic_store_n(slot, value, __ATOMIC_RELAXED);
  if (!writable) mprotect(page, static_cast<size_t>(page_size), protection);
  return true;
}

}  // namespace handoff
