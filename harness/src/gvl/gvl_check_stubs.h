// The GVL check's stubs (gvl_check_stubs.cc): kGvlStubCount entry points,
// kGvlStubSize bytes apart from handoff_gvl_stubs_begin. Stub i calls
// handoff_gvl_check_enter(i, the target's return address), which returns the
// function to continue in (the real one), then jumps there with the target's
// arguments intact.
#pragma once

#include <cstddef>
#include <cstdint>

namespace handoff {

constexpr size_t kGvlStubCount = 4096;
constexpr size_t kGvlStubSize = 16;

}  // namespace handoff

extern "C" {
extern const unsigned char handoff_gvl_stubs_begin[];
extern const unsigned char handoff_gvl_stubs_end[];
// Defined in gvl_check.cc. Returns the real function of stub `index`.
void* handoff_gvl_check_enter(uint32_t index, void* return_address);
}
