#include "host/frame_names.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace handoff {
namespace {

// A C++ name without its argument list ("handoff::MakeCall", not
// "handoff::MakeCall(handoff::CallSite const&, ...)"): frames stay one line.
std::string Demangled(const char* name) {
  int status = 0;
  char* plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || plain == nullptr) return name;
  std::string out = plain;
  std::free(plain);
  size_t close = out.rfind(')');
  if (close == std::string::npos) return out;
  int depth = 0;
  for (size_t i = close + 1; i-- > 0;) {
    if (out[i] == ')') ++depth;
    if (out[i] == '(' && --depth == 0) return i > 0 ? out.substr(0, i) : out;
  }
  return out;
}

// The function of the object file `path` whose [st_value, st_value +
// st_size) holds `offset` (a link-time address), from .symtab (every
// function, static ones included). False when the file has no .symtab or
// no function holds it.
bool SymtabLookup(const char* path, ElfW(Addr) offset, std::string* name, ElfW(Addr)* start) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info;
  void* map = MAP_FAILED;
  if (fstat(fd, &info) == 0 && info.st_size > static_cast<off_t>(sizeof(ElfW(Ehdr)))) {
    map = mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  }
  close(fd);
  if (map == MAP_FAILED) return false;
  const auto* bytes = static_cast<const unsigned char*>(map);
  size_t size = static_cast<size_t>(info.st_size);
  const auto* header = reinterpret_cast<const ElfW(Ehdr)*>(bytes);
  bool found = false;
  if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) == 0 &&
      header->e_shoff + header->e_shnum * sizeof(ElfW(Shdr)) <= size) {
    const auto* sections = reinterpret_cast<const ElfW(Shdr)*>(bytes + header->e_shoff);
    for (int i = 0; i < header->e_shnum && !found; ++i) {
      const ElfW(Shdr)& s = sections[i];
      if (s.sh_type != SHT_SYMTAB || s.sh_link >= header->e_shnum) continue;
      const ElfW(Shdr)& strings = sections[s.sh_link];
      if (s.sh_offset + s.sh_size > size || strings.sh_offset + strings.sh_size > size) continue;
      const auto* symbols = reinterpret_cast<const ElfW(Sym)*>(bytes + s.sh_offset);
      for (size_t k = 0; k < s.sh_size / sizeof(ElfW(Sym)); ++k) {
        const ElfW(Sym)& sym = symbols[k];
        if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
        if (offset < sym.st_value || offset >= sym.st_value + sym.st_size) continue;
        if (sym.st_name >= strings.sh_size) continue;
        *name = Demangled(reinterpret_cast<const char*>(bytes + strings.sh_offset + sym.st_name));
        *start = sym.st_value;
        found = true;
        break;
      }
    }
  }
  munmap(map, size);
  return found;
}

std::string Hex(uintptr_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%lx", static_cast<unsigned long>(value));
  return text;
}

}  // namespace

std::string FrameName(const void* address) {
  // The call instruction is just before the return address.
  auto call = reinterpret_cast<uintptr_t>(address) - 1;
  Dl_info info{};
  ElfW(Sym)* symbol = nullptr;
  if (dladdr1(reinterpret_cast<void*>(call), &info, reinterpret_cast<void**>(&symbol),
              RTLD_DL_SYMENT) == 0 ||
      info.dli_fname == nullptr) {
    return Hex(reinterpret_cast<uintptr_t>(address)) + " (unknown object)";
  }
  auto base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  const char* slash = std::strrchr(info.dli_fname, '/');
  std::string object = slash ? slash + 1 : info.dli_fname;
  if (object.empty()) object = "the program";
  std::string where = " (" + object + "+" + Hex(call + 1 - base) + ")";
  std::string name;
  ElfW(Addr) start = 0;
  // dladdr knows exported symbols only; a static function lies between two
  // of them, so it is named from .symtab first.
  const char* path = info.dli_fname[0] != '\0' ? info.dli_fname : "/proc/self/exe";
  if (SymtabLookup(path, call - base, &name, &start)) {
    return name + "+" + Hex(call + 1 - base - start) + where;
  }
  if (info.dli_sname != nullptr && symbol != nullptr &&
      call < reinterpret_cast<uintptr_t>(info.dli_saddr) + symbol->st_size) {
    return Demangled(info.dli_sname) + "+" +
           Hex(call + 1 - reinterpret_cast<uintptr_t>(info.dli_saddr)) + where;
  }
  return "??" + where;
}

}  // namespace handoff
