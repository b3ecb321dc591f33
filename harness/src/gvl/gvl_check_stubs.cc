// The GVL check's stubs (gvl_check.h): a target's import slot for a checked
// Ruby C API function points at stub i, which calls
// handoff_gvl_check_enter(i, return address) with every argument register
// kept, then tail-jumps to the address that returns: the real function, which
// so sees exactly the registers and stack the target's call set up
// (variadic rb_funcall included: %al, the vector-register count, is kept)
// and returns straight to the target. Nothing of the stub stays on the stack,
// so a Ruby exception's longjmp out of the real function crosses no stub frame.
//
// Written as top-level assembly in a C++ file so the build needs no ASM
// language (and the sanitizer flags, which do not apply to it, never reach
// an assembler). x86-64 System V only.
#if !defined(__x86_64__) || !defined(__linux__)
#error "the GVL check's stubs are x86-64 Linux assembly"
#endif

#include "gvl/gvl_check_stubs.h"

// Common part. Entered by a jmp from stub i with i in %r11d and the stack
// exactly as at the target's call (its return address on top). Keeps
// %rdi %rsi %rdx %rcx %r8 %r9 (integer arguments), %rax (%al: vector
// registers used by a variadic call), %r10 (static chain) and %xmm0-7
// (floating-point arguments). %r11 is the one scratch register the psABI
// leaves free at a call (the PLT itself may use it). The CFI lets an unwinder
// (backtrace() in the violation report) walk from the check through this
// frame into the target.
asm(R"(
    .text
    .p2align 4
    .type handoff_gvl_common, @function
handoff_gvl_common:
    .cfi_startproc
    pushq %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq %rsp, %rbp
    .cfi_def_cfa_register %rbp
    subq $192, %rsp
    andq $-16, %rsp
    movq %rdi, 0(%rsp)
    movq %rsi, 8(%rsp)
    movq %rdx, 16(%rsp)
    movq %rcx, 24(%rsp)
    movq %r8, 32(%rsp)
    movq %r9, 40(%rsp)
    movq %rax, 48(%rsp)
    movq %r10, 56(%rsp)
    movaps %xmm0, 64(%rsp)
    movaps %xmm1, 80(%rsp)
    movaps %xmm2, 96(%rsp)
    movaps %xmm3, 112(%rsp)
    movaps %xmm4, 128(%rsp)
    movaps %xmm5, 144(%rsp)
    movaps %xmm6, 160(%rsp)
    movaps %xmm7, 176(%rsp)
    movl %r11d, %edi
    movq 8(%rbp), %rsi
    call handoff_gvl_check_enter@PLT
    movq %rax, %r11
    movq 0(%rsp), %rdi
    movq 8(%rsp), %rsi
    movq 16(%rsp), %rdx
    movq 24(%rsp), %rcx
    movq 32(%rsp), %r8
    movq 40(%rsp), %r9
    movq 48(%rsp), %rax
    movq 56(%rsp), %r10
    movaps 64(%rsp), %xmm0
    movaps 80(%rsp), %xmm1
    movaps 96(%rsp), %xmm2
    movaps 112(%rsp), %xmm3
    movaps 128(%rsp), %xmm4
    movaps 144(%rsp), %xmm5
    movaps 160(%rsp), %xmm6
    movaps 176(%rsp), %xmm7
    leave
    .cfi_def_cfa %rsp, 8
    jmpq *%r11
    .cfi_endproc
    .size handoff_gvl_common, .-handoff_gvl_common

    .p2align 4
    .globl handoff_gvl_stubs_begin
    .hidden handoff_gvl_stubs_begin
handoff_gvl_stubs_begin:
    .set handoff_gvl_stub_index, 0
    .rept 4096
    movl $handoff_gvl_stub_index, %r11d
    jmp handoff_gvl_common
    .p2align 4
    .set handoff_gvl_stub_index, handoff_gvl_stub_index + 1
    .endr
    .globl handoff_gvl_stubs_end
    .hidden handoff_gvl_stubs_end
handoff_gvl_stubs_end:
)");
