/* The exec trampoline program (src/trampoline/exec_trampoline.c), built as its own
 * freestanding executable and embedded here byte for byte: security/exec_trampoline.cpp
 * copies it into a sealed memfd. */
    .section .rodata.hako_exec_trampoline, "a"
    .balign 16
    .globl hako_exec_trampoline_begin
hako_exec_trampoline_begin:
    .incbin HAKO_EXEC_TRAMPOLINE_PATH
    .globl hako_exec_trampoline_end
hako_exec_trampoline_end:
    .section .note.GNU-stack, "", @progbits
