// The imports of a loaded shared object, read from its dynamic relocations,
// and how to point one of them somewhere else (the GVL check's interposition,
// gvl_check.h). x86-64 ELF, glibc.
//
// An object calls an imported function through a slot of its global offset
// table: R_X86_64_JUMP_SLOT relocations are the PLT's slots (DT_JMPREL),
// R_X86_64_GLOB_DAT the GOT's (DT_RELA: code built with -fno-plt, and taken
// addresses). Rewriting a slot changes where *that object's* calls go and
// nothing else: the defining library's own internal calls are untouched.
#pragma once

#include <link.h>

#include <functional>
#include <string>
#include <vector>

namespace handoff {

// One loaded object, as dl_iterate_phdr describes it. The program headers
// stay valid while the object is loaded (objects are never unloaded here).
struct LoadedObject {
  ElfW(Addr) base = 0;     // load bias (dlpi_addr)
  std::string path;        // dlpi_name; empty for the main program
  const ElfW(Phdr)* phdr = nullptr;
  ElfW(Half) phnum = 0;
};

struct ImportSlot {
  const char* name;  // the imported symbol (the object's dynamic string table)
  void** slot;       // where the object reads the function's address from
  bool jump_slot;    // PLT slot (R_X86_64_JUMP_SLOT), else GOT (R_X86_64_GLOB_DAT)
};

// Every object loaded now, in load order. Takes the loader's lock briefly.
std::vector<LoadedObject> LoadedObjects();

// Calls `visit` for every JUMP_SLOT and GLOB_DAT relocation of `object`
// whose symbol is an undefined (imported) one. No-op for an object without
// a dynamic section or relocations (the vDSO).
void ForEachImport(const LoadedObject& object, const std::function<void(const ImportSlot&)>& visit);

// The DT_NEEDED names of `object` ("libffi.so.8", ...).
std::vector<std::string> NeededLibraries(const LoadedObject& object);

// Stores `value` into `slot` of `object`, making a RELRO (or otherwise
// read-only) page writable for the store and restoring its protection. The
// store is one aligned 8-byte write: a thread calling through the slot at
// the same time sees the old or the new function. False with *error when
// mprotect refuses.
bool WriteSlot(const LoadedObject& object, void** slot, void* value, std::string* error);

}  // namespace handoff
